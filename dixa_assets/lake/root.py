"""Where the lake lives: a local folder or an ``s3://bucket/prefix`` URL (``DIXA_DATA_DIR``).

Both are handed out as a universal-pathlib ``UPath``, so the lake's code joins, lists and opens
paths the same way on either; a local root is a ``PosixUPath``, which is a ``pathlib.Path``.
S3 goes through fsspec's s3fs, which takes its credentials and endpoint the way every AWS SDK
does (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, ``AWS_PROFILE``,
instance roles, ``AWS_ENDPOINT_URL`` for an S3-compatible server such as MinIO). Other URL
schemes are refused rather than guessed at: the lake's atomic replace depends on how the store
makes a write visible, and only local disks and S3 are known (and tested) here.
"""

from __future__ import annotations

import os
from pathlib import Path

from upath import UPath

OBJECT_STORE_SCHEME = "s3"


def lake_root(root: str | os.PathLike[str]) -> UPath:
    """The lake's root as a path: a local folder, or an S3 prefix configured from the environment.

    Raises ``ValueError`` for a URL that is not ``s3://``, so a typo in ``DIXA_DATA_DIR`` fails
    when the definitions load instead of writing somewhere unexpected.
    """
    text = str(root)
    if "://" not in text:
        return UPath(text)
    scheme = text.split("://", 1)[0].lower()
    if scheme != OBJECT_STORE_SCHEME:
        raise ValueError(
            f"DIXA_DATA_DIR must be a local folder or an {OBJECT_STORE_SCHEME}:// URL, got {text!r}"
        )
    return UPath(text, **_s3_options())


def is_local(path: UPath) -> bool:
    """Whether ``path`` is on this machine's disks (and so supports rename and fsync)."""
    return isinstance(path, Path)


def _s3_options() -> dict[str, object]:
    """s3fs settings beyond what botocore reads from the environment by itself.

    * No listings cache: runs, sensors and the code server are separate processes, and a cached
      folder listing would hide partitions that another process wrote since.
    * ``AWS_REGION``: the name most tools (and DuckDB) use, which botocore ignores in favour of
      ``AWS_DEFAULT_REGION``; when set, it wins.
    """
    options: dict[str, object] = {"use_listings_cache": False}
    region = os.environ.get("AWS_REGION")
    if region:
        options["client_kwargs"] = {"region_name": region}
    return options

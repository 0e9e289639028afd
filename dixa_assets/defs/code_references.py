"""Each asset's "View source" link in the Dagster UI: its file and line, in the repository.

``with_source_code_references`` records where an asset's function is defined; when the project
knows its repository, ``link_code_references_to_git`` turns that local path into a link. The
repository's URL is ``DIXA_GIT_URL``, else this checkout's ``origin`` remote; the branch (or tag or
commit) is ``DIXA_GIT_REF``, else the checked-out branch. Without a URL (no remote, no git, an
installed package) the references stay local paths: definitions load either way.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from dagster import (
    AnchorBasedFilePathMapping,
    AssetsDefinition,
    link_code_references_to_git,
    with_source_code_references,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
ANCHOR = "pyproject.toml"  # the project root is the repository root
DEFAULT_REF = "main"


def with_code_references(assets: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    """``assets`` with their source file and line, linked to the repository when it is known."""
    located = with_source_code_references(assets)
    url = _browsable(os.environ.get("DIXA_GIT_URL") or _git("remote", "get-url", "origin") or "")
    if not url.startswith(("https://", "http://")):
        return list(located)  # type: ignore[arg-type]  # no remote, or a local path
    ref = os.environ.get("DIXA_GIT_REF") or _git("branch", "--show-current") or DEFAULT_REF
    linked = link_code_references_to_git(
        located,
        git_url=url,
        git_branch=ref,
        # GitHub's /tree/<ref>/ form unless the host says GitLab (Dagster knows only these two).
        platform="gitlab" if "gitlab" in url else "github",
        file_path_mapping=AnchorBasedFilePathMapping(
            local_file_anchor=PROJECT_ROOT / ANCHOR, file_anchor_path_in_repository=ANCHOR
        ),
    )
    return list(linked)  # type: ignore[arg-type]


def _browsable(url: str) -> str:
    """A remote's web address: ``git@host:owner/repo.git`` -> ``https://host/owner/repo``."""
    if url.startswith("git@"):
        host, _, path = url[len("git@") :].partition(":")
        url = f"https://{host}/{path}"
    return url.removesuffix(".git").rstrip("/")


def _git(*args: str) -> str | None:
    """A git command's output in the project folder, or None where there is no git or repository."""
    return _git_in(PROJECT_ROOT, args)


@functools.cache  # asked once per process, not by each part of the definitions
def _git_in(root: Path, args: tuple[str, ...]) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None

"""``python -m dixa_assets.lake_rewrite``, a users' command (README): rewrites the lake where the
settings put it (``DIXA_DATA_DIR``, or ``--data-dir``) with :mod:`dixa_assets.lake.rewrite`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from dixa_assets.lake import rewrite
from dixa_assets.settings import DEFAULT_DATA_DIR, data_dir_from_env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dixa_assets.lake_rewrite",
        description=rewrite.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help=f"root of the lake (default: DIXA_DATA_DIR, else {DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the days, rewrite nothing")
    args = parser.parse_args(argv)
    for line in rewrite.rewrite_lake_at(args.data_dir or data_dir_from_env(), args.dry_run):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

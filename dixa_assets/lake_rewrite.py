"""``python -m dixa_assets.lake_rewrite``, a users' command (README):
runs :mod:`dixa_assets.lake.rewrite`."""

from dixa_assets.lake import rewrite

if __name__ == "__main__":
    raise SystemExit(rewrite.main())

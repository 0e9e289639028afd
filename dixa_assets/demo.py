"""``python -m dixa_assets.demo``, a users' command (README):
runs :mod:`dixa_assets.tools.demo`."""

from dixa_assets.tools import demo

if __name__ == "__main__":
    raise SystemExit(demo.main())

"""``python -m dixa_assets.dev``, a users' command (README):
runs :mod:`dixa_assets.tools.dev`."""

from dixa_assets.tools import dev

if __name__ == "__main__":
    raise SystemExit(dev.main())

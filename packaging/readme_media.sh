#!/usr/bin/env bash
# Regenerate the README's screenshot and animation with the app's own code,
# so they never go stale. Needs the app installed (./dev app or ./dev test).
set -euo pipefail
cd "$(dirname "$0")/.."
GDSTUDIO=${GDSTUDIO:-.venv/bin/gdstudio}
PYTHON=${PYTHON:-.venv/bin/python}
"$GDSTUDIO" export resources/presets/11-adam-vs-sgd.json -o docs/media/race.gif \
  --view both --size 800x400 --fps 20
xvfb-run -a -s '-screen 0 1600x1000x24' "$PYTHON" packaging/screenshot.py docs/media/window.png

#!/usr/bin/env bash
# Render every preset, headless, to docs/presets/NN-name.png (both views and the loss plot
# at the step that shows its lesson) and docs/presets/README.md (each picture with its
# caption). Run it whenever a view or a preset changes, and look at every picture.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
if [ -n "${DISPLAY:-}" ]; then
  "$PYTHON" packaging/preset_gallery.py docs/presets
else
  xvfb-run -a -s '-screen 0 1600x1000x24' "$PYTHON" packaging/preset_gallery.py docs/presets
fi

"""The preset gallery's pictures show the app's colours (frames come as B, G, R, 255)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from gdstudio.ui.views.colors import RUNNER_PALETTE

GALLERY = Path(__file__).parents[2] / "packaging" / "preset_gallery.py"


def load_gallery():
    spec = importlib.util.spec_from_file_location("preset_gallery", GALLERY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def count(pixels: np.ndarray, hex_colour: str) -> int:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels.astype(int) - rgb).max(axis=2) <= 2).sum())


def test_a_picture_has_the_runners_colours_not_their_channels_swapped(qapp, tmp_path):
    shown = load_gallery().render(tmp_path, {"01-learning-rate"})
    assert [name for name, _, _ in shown] == ["01-learning-rate.png"]
    pixels = np.asarray(Image.open(tmp_path / "01-learning-rate.png").convert("RGB"))
    first = RUNNER_PALETTE[0]  # #e6194b, crimson: its legend square and its trail
    swapped = f"#{first[5:7]}{first[3:5]}{first[1:3]}"  # blue-violet, were R and B swapped
    assert count(pixels, first) > 50
    assert count(pixels, swapped) < count(pixels, first) // 10

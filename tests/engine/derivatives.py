"""Finite-difference checks of exact gradients and Hessians, shared by the surface tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Field = Callable[[np.ndarray], np.ndarray]


def central_differences(fn: Field, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """(fn(p + h e_i) − fn(p − h e_i)) / 2h stacked on a new last axis, for i = x, y.

    The step is scaled by the size of p so that points far from the origin keep
    enough significant digits in the difference.
    """
    cols = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = h * max(1.0, float(np.abs(p).max()))
        cols.append((fn(p + e) - fn(p - e)) / (2 * e[i]))
    return np.stack(cols, axis=-1)


def assert_derivatives_match(value: Field, grad: Field, hessian: Field, p: np.ndarray) -> None:
    """The exact gradient and Hessian at p agree with central differences, and H is symmetric."""
    g = grad(p)
    np.testing.assert_allclose(
        g, central_differences(value, p), rtol=1e-5, atol=1e-6 * (1 + np.abs(g).max())
    )
    h = hessian(p)
    fd = np.swapaxes(central_differences(grad, p), -1, -2)  # fd[n, i, j] = ∂g_i/∂p_j
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-6 * (1 + np.abs(h).max()))
    np.testing.assert_array_equal(h, np.swapaxes(h, -1, -2))

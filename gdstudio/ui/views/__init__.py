"""Widgets that render arrays: 3D surface, contour map, loss plots."""

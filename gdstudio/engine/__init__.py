"""The headless engine: surfaces, datasets, optimizers, schedules, races and scenarios.

Pure NumPy (and sympy for user formulas); nothing here imports Qt.
"""

"""Icons, stylesheets and presets shipped with gdstudio (read via importlib.resources)."""

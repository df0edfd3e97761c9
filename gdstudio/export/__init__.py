"""Animation export: frames of the app's views to GIF, MP4 and PNG."""

"""Export in the app: the dialog, and the off-screen canvas that draws the app's views into frames.

The frames go to :mod:`gdstudio.export`'s encoders; that package never imports this one.
"""

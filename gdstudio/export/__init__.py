"""Animation export without widgets: frames (arrays) to GIF, MP4 and PNG files.

``formats`` lists the file types and the options each takes, ``encoders``
writes frames atomically, ``display`` finds or starts an X server, and
``command`` is ``gdstudio export``. The frames themselves come from the app's
own views, drawn by :mod:`gdstudio.ui.export`; nothing here imports Qt or the ui.
"""

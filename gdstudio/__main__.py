"""Allow ``python -m gdstudio``."""

from gdstudio.cli import main

raise SystemExit(main())

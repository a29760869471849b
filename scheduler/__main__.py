"""``python -m scheduler`` is ``partyfeed`` (the daemon starts its crawls this way)."""

from .cli import main

raise SystemExit(main())

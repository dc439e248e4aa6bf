"""``python -m aiodo_projects``: the same command line as ``aiodo-projects``."""

from aiodo_projects.cli import main

raise SystemExit(main())

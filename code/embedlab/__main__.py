"""`python -m embedlab ...`: see `embedlab.cli`."""

from .cli import main

raise SystemExit(main())

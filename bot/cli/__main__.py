"""`python -m bot.cli` is the `helferbot` command."""

from bot.cli import main

raise SystemExit(main())

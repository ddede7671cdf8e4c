"""`python -m briskk_pipeline.cli`: the `briskk` command."""

from briskk_pipeline.cli import main

raise SystemExit(main())

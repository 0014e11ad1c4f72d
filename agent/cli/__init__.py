"""The ``earthsight`` command line: one module per group of subcommands."""

"""What every tool stands on: the tool record and registry, context, artifacts, workspace,
errors and settings."""

"""onboard.aws."""

"""onboard.sandbox."""

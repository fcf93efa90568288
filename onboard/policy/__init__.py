"""onboard.policy."""

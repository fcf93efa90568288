"""onboard.doctor."""

"""Tooling apart from the code location: the demo and demo mode."""

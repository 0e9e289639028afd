"""Privacy: erasing anonymized conversations' personal data."""

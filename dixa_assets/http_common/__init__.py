"""HTTP policy shared by the Exports API and main API clients (Dagster-free)."""

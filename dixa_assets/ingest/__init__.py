"""The API clients' pages into Arrow tables (Dagster-free)."""

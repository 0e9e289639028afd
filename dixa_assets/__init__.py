"""Dagster assets that land Dixa conversations and messages in Parquet and DuckDB."""

"""The Parquet lake (Dagster-free): its root, schema conformance, DuckDB reader
and rewrite command."""

"""The raw layer: Exports API and main API data into the Parquet lake."""

"""Records to Arrow (Dagster-free): schemas, decoding, duplicates, spill, activity records
and dimension history."""

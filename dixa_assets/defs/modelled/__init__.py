"""The modelled layer: DuckDB tables built from the Parquet lake with set-based SQL.

``conversations`` (latest version of each conversation), ``conversation_messages`` (messages with
their conversation's current attributes, daily) and ``daily_support_metrics`` (daily), their asset
checks and the automation that keeps them current. ``definitions.build`` is what
``dixa_assets.definitions`` merges in.
"""

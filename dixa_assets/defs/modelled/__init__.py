"""The modelled layer: DuckDB tables built from the Parquet lake with set-based SQL.

One module per table, holding its asset, its checks and its automation condition:
``conversations`` (latest version of each conversation), ``conversation_messages`` (messages
with their conversation's current attributes, daily), ``daily_support_metrics`` (daily),
``conversation_events``, ``conversation_handling`` and ``daily_team_metrics`` (from the activity
log). What they share: :mod:`.table_asset` (the decorator), :mod:`.automation`,
:mod:`.late_updates`, :mod:`.lineage`, :mod:`.metadata`, :mod:`.keys`. ``definitions.build`` is
what ``dixa_assets.definitions`` merges in.
"""

"""The tables of schema ``dixa``, named once.

Named as a connection in that schema resolves them (:func:`.database.use_schema`), whatever the
database file is called; ``dagster/table_name`` adds the catalog.
"""

CONVERSATIONS_TABLE = "conversations"
CONVERSATION_MESSAGES_TABLE = "conversation_messages"
DAILY_SUPPORT_METRICS_TABLE = "daily_support_metrics"
CONVERSATION_EVENTS_TABLE = "conversation_events"
CONVERSATION_HANDLING_TABLE = "conversation_handling"
DAILY_TEAM_METRICS_TABLE = "daily_team_metrics"

DAY_COLUMN = "day"
"""The local day of a daily table's row: what a run's days are replaced by."""

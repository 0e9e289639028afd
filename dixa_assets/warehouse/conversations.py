"""The SQL of ``dixa.conversations``: the latest version of each conversation in the lake."""

from __future__ import annotations

from dixa_assets.warehouse.tables import CONVERSATIONS_TABLE

REBUILD_CONVERSATIONS = f"""
CREATE OR REPLACE TABLE {CONVERSATIONS_TABLE} AS
WITH latest AS (
    SELECT filename, file_row_number
    FROM read_parquet($files, union_by_name = true, filename = true, file_row_number = true)
    QUALIFY row_number() OVER (
        PARTITION BY id ORDER BY updated_at DESC, filename DESC, file_row_number DESC
    ) = 1
)
SELECT * EXCLUDE (filename, file_row_number)
FROM read_parquet($files, union_by_name = true, filename = true, file_row_number = true)
SEMI JOIN latest USING (filename, file_row_number)
ORDER BY id
"""
"""The latest version of each conversation across all ``dixa_conversations`` files.

Highest ``updated_at`` wins. Two versions can only tie if a day's file holds the same id twice
(the raw ``unique_ids`` check fails then); the later file name, then the later row, wins, so the
result never depends on read order. The winners are chosen on four narrow columns and only then
read whole: a window over the 60-column rows was four times slower at a million versions."""

EMPTY_CONVERSATIONS = (
    f"CREATE OR REPLACE TABLE {CONVERSATIONS_TABLE} AS SELECT * FROM empty_conversations"
)
"""Before any raw file exists: the table with the raw schema and no rows (``empty_conversations``
is an empty Arrow table of that schema, registered on the connection)."""

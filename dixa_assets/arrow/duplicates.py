"""One row per id: the newest version of a record, within one fetch and across fetches of a day.

An export is the current state of each record, so an id should appear once. It can appear twice
when a conversation changes between the requests of a multi-window fetch (it then matches both
windows), or when the API repeats itself. Keeping the version with the latest timestamp is what
the API itself would answer now; an exact repeat loses nothing.

Across fetches (:func:`keep_newest`): a conversations day fetched again no longer returns the
conversations that were updated since and moved to a later day. Replacing the day's file with
the new answer alone would drop them from the lake until that later day is fetched; so the day
keeps, beside the new answer, the versions it held of conversations the answer lacks.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def latest_per_id(table: pa.Table, id_column: str, time_column: str) -> tuple[pa.Table, int]:
    """``table`` with, for each id, only its row with the greatest ``time_column``.

    Ties keep the row that came last from the API. Row order is otherwise kept. Returns the
    table and how many rows were dropped.
    """
    if table.num_rows == 0 or pc.count_distinct(table.column(id_column)).as_py() == table.num_rows:
        return table, 0
    arrival = pa.array(np.arange(table.num_rows))
    keyed = pa.table(
        {"id": table.column(id_column), "time": table.column(time_column), "arrival": arrival}
    )
    order = pc.sort_indices(
        keyed, sort_keys=[("id", "ascending"), ("time", "descending"), ("arrival", "descending")]
    )
    ids = keyed.column("id").take(order).to_numpy(zero_copy_only=False)
    first_of_id = np.ones(len(ids), dtype=bool)
    first_of_id[1:] = ids[1:] != ids[:-1]
    keep = np.sort(order.to_numpy()[first_of_id])
    return table.take(pa.array(keep)), table.num_rows - len(keep)


def keep_newest(
    stored: pa.Table | None,
    fetched: pa.Table,
    id_column: str,
    time_column: str,
    window: tuple[int, int],
    where: str,
) -> tuple[pa.Table, int]:
    """``fetched`` plus the rows of ``stored`` (the day's previous file) whose id it lacks or
    holds in an older version; ties go to ``fetched``. Returns the table and how many of its
    rows came from ``stored``.

    ``stored`` comes from the lake in the asset's current schema (:mod:`.lake_schema`); a
    column only one side has is null on the other. A stored row outside ``window``
    (``[start, end)`` in epoch ms) means the file belongs to other days (the partitions'
    timezone changed): that fails, naming ``where``, rather than lose or misplace the row.
    """
    if stored is None or stored.num_rows == 0:
        return fetched, 0
    times = stored.column(time_column)
    inside = pc.and_(pc.greater_equal(times, window[0]), pc.less(times, window[1]))
    if not pc.all(inside).as_py():
        outside = stored.num_rows - pc.sum(inside).as_py()
        raise ValueError(
            f"{where}: the stored file holds {outside} row(s) whose {time_column} is outside the "
            "day's window. Was DIXA_TIMEZONE changed? Days of another timezone cannot be merged: "
            "point DIXA_DATA_DIR at a new folder and backfill it."
        )
    both = pa.concat_tables([stored, fetched], promote_options="default")
    merged, _ = latest_per_id(both, id_column, time_column)
    fetched_ids = pc.is_in(merged.column(id_column), value_set=fetched.column(id_column))
    return merged, merged.num_rows - pc.sum(fetched_ids).as_py()

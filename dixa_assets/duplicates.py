"""One row per id within one fetch: the latest version of a record the API sent twice.

An export is the current state of each record, so an id should appear once. It can appear twice
when a conversation changes between the requests of a multi-window fetch (it then matches both
windows), or when the API repeats itself. Keeping the version with the latest timestamp is what
the API itself would answer now; an exact repeat loses nothing.
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

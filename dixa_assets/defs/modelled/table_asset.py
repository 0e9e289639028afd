"""What every DuckDB table asset shares, declared once: ``@table_asset``.

Its group, owner and kind, the one-writer pool, retries (another program holding the database
file open, e.g. a BI tool or the DuckDB CLI, outlasting the resource's connect retries is worth
another try; SQL errors fail the same way again, cheaply), its ``dagster/table_name``
(``<catalog>.dixa.<table>``), its checks by name and description, and for a daily table the
single-run backfill (a range of days is one transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    TimeWindowPartitionsDefinition,
    asset,
)

from dixa_assets.defs.modelled.duckdb_resource import DUCKDB_POOL
from dixa_assets.defs.modelled.keys import MODELLED_GROUP
from dixa_assets.defs.raw.export_assets import OWNERS, RETRY
from dixa_assets.warehouse.database import qualified_name


def table_asset(
    key: AssetKey,
    table: str,
    database: str,
    *,
    checks: Mapping[str, str] | None = None,
    partitions_def: TimeWindowPartitionsDefinition | None = None,
    metadata: Mapping[str, Any] | None = None,
    **attributes: Any,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """``@asset`` for DuckDB table ``table`` (schema ``dixa``) of the file ``database``, with
    ``checks`` (name: description) on it, daily when given ``partitions_def``. ``attributes``
    are the asset's own (deps, description, automation condition, ...)."""
    daily: dict[str, Any] = {}
    if partitions_def is not None:
        daily = {"partitions_def": partitions_def, "backfill_policy": BackfillPolicy.single_run()}
    return asset(
        key=key,
        group_name=MODELLED_GROUP,
        owners=OWNERS,
        kinds={"duckdb"},
        pool=DUCKDB_POOL,
        retry_policy=RETRY,
        metadata={**(metadata or {}), "dagster/table_name": qualified_name(database, table)},
        check_specs=[
            AssetCheckSpec(name, asset=key, description=text)
            for name, text in (checks or {}).items()
        ],
        **daily,
        **attributes,
    )

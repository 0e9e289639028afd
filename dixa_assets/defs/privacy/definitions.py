"""Privacy: the ``dixa_erasures`` asset, which removes anonymized conversations' personal data
from the lake and the DuckDB tables (the procedure is :mod:`dixa_assets.erasure`)."""

from __future__ import annotations

from dagster import Definitions, TimeWindowPartitionsDefinition

from dixa_assets.defs.code_references import with_code_references
from dixa_assets.defs.privacy.erasures import build_erasures_asset
from dixa_assets.settings import Settings


def build(settings: Settings, partitions_def: TimeWindowPartitionsDefinition) -> Definitions:
    """The erasures asset; it runs under the modelled layer's automation sensor."""
    del partitions_def  # erasures are not partitioned
    return Definitions(assets=with_code_references([build_erasures_asset(settings)]))

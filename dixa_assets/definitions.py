"""The code location: ``defs`` is what ``dagster dev``, ``dg`` and the CLI load.

As in a ``dg`` project, the Dagster objects live in the ``dixa_assets.defs`` folder, one
subpackage per part of the flow (``raw``, ``modelled``, ``privacy``), each with a
``definitions.build(settings, partitions_def)``; they are merged here. They are built from
``Settings`` rather than found by ``load_from_defs_folder`` because tests build several.
"""

from __future__ import annotations

import atexit
import gc
import warnings

from dagster import BetaWarning, Definitions, SupersessionWarning, in_process_executor

from dixa_assets.defs.modelled import definitions as modelled
from dixa_assets.defs.privacy import definitions as privacy
from dixa_assets.defs.raw import definitions as raw
from dixa_assets.defs.raw.definitions import DAILY_JOB
from dixa_assets.defs.raw.partitions import daily_partitions
from dixa_assets.settings import Settings

__all__ = ["DAILY_JOB", "build_definitions", "defs"]

# Single-run backfills (`backfill_policy`) are what make a year cost 12 requests, not 365; we use
# that beta API knowingly, so its warning would only be noise in every run's log.
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")
# The UI's links from each asset to its source (defs/code_references.py) are beta too.
warnings.filterwarnings(
    "ignore", category=BetaWarning, message=".*(CodeReference|code_references).*"
)
# Dagster marks the time-partition freshness checks superseded by asset-level FreshnessPolicy,
# which cannot say which day is late: we keep the checks for the raw days, knowingly.
warnings.filterwarnings("ignore", category=SupersessionWarning, message=".*freshness_checks.*")
# Dagster's own code warns when it hands a nested resource (the IO manager's ``parquet_lake``) its
# context: nothing of ours calls the deprecated property.
warnings.filterwarnings(
    "ignore", category=DeprecationWarning, message="InitResourceContext.dagster_run is deprecated"
)

# A run's process spent 0.45 s at exit in the interpreter's last garbage collection, through
# every object Dagster and the definitions made, to free memory the system takes back anyway.
# Frozen objects are left out of it (so an object still in a reference cycle at exit is not
# finalized, which Python does not promise either); other exit handlers run as before.
atexit.register(gc.freeze)

PARTS = (raw, modelled, privacy)

# Every step runs in the run's own process. Steps in subprocesses bought little parallelism here:
# the API steps share one pool slot, the DuckDB writers another, and a big answer is decoded by
# worker processes on every core anyway (exports_api.decoding_pool). They cost a Python start and
# every import per step (about 1.4 s, then 0.6 s for each check step), which was a third of a
# one-asset run. Dagster's in-process executor still takes pool slots from the instance, so
# concurrent runs wait for each other's API and DuckDB steps ("Step blocked by limit for pool").
EXECUTOR = in_process_executor


def build_definitions(settings: Settings) -> Definitions:
    """Everything of the project for one set of settings (tests build several)."""
    partitions_def = daily_partitions(settings)
    parts = (part.build(settings, partitions_def) for part in PARTS)
    return Definitions.merge(*parts, Definitions(executor=EXECUTOR))


defs = build_definitions(Settings.from_env())

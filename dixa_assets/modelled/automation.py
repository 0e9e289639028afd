"""What keeps the tables current without anyone clicking.

* ``lookback_schedule``: every day, shortly after the day ends, ONE run of the raw job over the
  last ``DIXA_LOOKBACK_DAYS`` days (yesterday included). Recent days are re-fetched because the
  export's answer for them keeps changing: conversations are updated after they were created.
* Declarative automation (evaluated by ``dixa_modelled_automation``, running by default):
  ``conversations`` is rebuilt once any raw conversations day has new data and no run is still
  writing one; each day of ``conversation_messages`` follows its raw messages day, waiting for
  a pending ``conversations`` rebuild so it joins the new versions; each day of
  ``daily_support_metrics`` follows its ``conversation_messages`` day. Unlike
  ``AutomationCondition.eager()``, these are not limited to the latest day, so backfills of the
  raw assets propagate too, and they do not wait for never-fetched history.
* Changes to older days that no raw day re-run touches (a conversation updated a week after its
  messages) are the job of :mod:`.late_updates`.
"""

from dagster import (
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    TimeWindowPartitionsDefinition,
    schedule,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from .keys import CONVERSATIONS_KEY, MODELLED_GROUP

LOOKBACK_MINUTE_OF_HOUR = 30
AUTOMATION_SENSOR = "dixa_modelled_automation"


def rebuild_after_raw_changes() -> AutomationCondition:
    """For ``conversations``: any dependency partition updated since the last rebuild, and none
    is being written right now (a multi-day run finishes before the rebuild starts)."""
    return (
        AutomationCondition.any_deps_updated().since_last_handled()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("rebuild after raw conversations changed")


def follow_same_day() -> AutomationCondition:
    """For the daily modelled assets: the same day upstream was updated (``conversations``
    updates are ignored here: they affect arbitrary days, see :mod:`.late_updates`), nothing is
    missing or running upstream, and no ``conversations`` rebuild is about to start."""
    conversations = AssetSelection.assets(CONVERSATIONS_KEY)
    same_day_updated = AutomationCondition.any_deps_updated().ignore(conversations)
    # ``will_be_requested`` does not see an unpartitioned parent (it cannot share a run with a
    # daily child), so ask the parent's own question: would it be rebuilt now?
    rebuild_pending = AutomationCondition.any_deps_match(rebuild_after_raw_changes()).allow(
        conversations
    )
    return (
        same_day_updated.since_last_handled()
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~rebuild_pending
        & ~AutomationCondition.in_progress()
    ).with_label("follow the same day upstream")


def automation_sensor() -> AutomationConditionSensorDefinition:
    """Evaluates the modelled assets' conditions; running by default, so nobody has to switch
    it on. Multi-day requests become backfills, which honour the single-run backfill policy."""
    return AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=AssetSelection.groups(MODELLED_GROUP),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Keeps conversations, conversation_messages and daily_support_metrics in "
        "step with the raw Parquet days.",
    )


def lookback_schedule(
    job_name: str,
    partitions_def: TimeWindowPartitionsDefinition,
    lookback_days: int,
) -> ScheduleDefinition:
    """One run a day of job ``job_name`` over the last ``lookback_days`` complete days.

    A single range run (not one run per day) because the raw assets fetch a range in one API
    request per endpoint: three days cost two requests, not six.
    """

    @schedule(
        name=f"{job_name}_schedule",
        job_name=job_name,
        cron_schedule=f"{LOOKBACK_MINUTE_OF_HOUR} 0 * * *",
        execution_timezone=partitions_def.timezone,
        description=f"Every day at 00:{LOOKBACK_MINUTE_OF_HOUR:02d} ({partitions_def.timezone}), "
        f"re-fetch the last {lookback_days} complete day(s) in one run, so late conversation "
        "updates reach the lake; the modelled tables follow by automation.",
    )
    def lookback(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        keys = partitions_def.get_partition_keys(current_time=context.scheduled_execution_time)
        recent = keys[-lookback_days:]
        if not recent:
            return SkipReason("no complete day since the start date yet")
        first, last = recent[0], recent[-1]
        return RunRequest(
            run_key=f"{first}...{last}",
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        )

    return lookback

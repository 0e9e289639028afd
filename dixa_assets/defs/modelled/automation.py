"""What keeps the tables current without anyone clicking.

* The raw job's schedules (:mod:`dixa_assets.defs.raw.schedules`) fetch the recent days and today.
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
)

from dixa_assets.defs.modelled.keys import CONVERSATIONS_KEY, MODELLED_GROUP, PRIVACY_GROUP

AUTOMATION_SENSOR = "dixa_modelled_automation"


def after_deps_updated(label: str) -> AutomationCondition:
    """For an unpartitioned asset: any dependency partition updated since it last ran, and
    none is being written right now (a multi-day run finishes before it starts)."""
    return (
        AutomationCondition.any_deps_updated().since_last_handled()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label(label)


def rebuild_after_raw_changes() -> AutomationCondition:
    """For ``conversations``: rebuilt once raw conversation days changed."""
    return after_deps_updated("rebuild after raw conversations changed")


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
        target=AssetSelection.groups(MODELLED_GROUP, PRIVACY_GROUP),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Keeps conversations, conversation_messages and daily_support_metrics in "
        "step with the raw Parquet days, and runs dixa_erasures after raw conversation days "
        "change.",
    )

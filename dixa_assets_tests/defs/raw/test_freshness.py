"""Freshness in Dagster's terms: a per-day check on the raw assets, a policy on the tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagster import AssetKey, AssetSelection, FreshnessPolicy, instance_for_test, materialize

from dixa_assets.definitions import build_definitions
from dixa_assets.defs.raw.freshness import modelled_freshness_policy
from dixa_assets_tests.conftest import run_assets

RAW = ("dixa_conversations", "dixa_messages")


def _freshness(settings, instance) -> dict[str, bool]:
    """Run the raw assets' freshness checks, as their sensor does, and return pass/fail."""
    defs = build_definitions(settings)
    checks = [
        c for c in defs.asset_checks if any(k.name == "freshness_check" for k in c.check_keys)
    ]
    result = materialize(
        [*defs.assets, *checks],
        selection=AssetSelection.checks(*checks),
        instance=instance,
        resources=defs.resources,
    )
    return {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()}


def test_the_raw_days_are_late_until_today_has_been_fetched(settings, simulator):
    today = datetime.now(UTC).date().isoformat()  # the check runs on the wall clock
    with instance_for_test() as instance:
        assert _freshness(settings, instance) == {
            "dixa_conversations": False,
            "dixa_messages": False,
        }
        run_assets(settings, RAW, today, instance=instance)
        assert _freshness(settings, instance) == {"dixa_conversations": True, "dixa_messages": True}


def test_the_tables_have_a_freshness_policy_of_a_few_refresh_intervals(settings):
    graph = build_definitions(settings).resolve_asset_graph()
    hourly = modelled_freshness_policy(60)
    for name in ("conversations", "conversation_messages", "daily_support_metrics"):
        assert graph.get(AssetKey(name)).freshness_policy == hourly
    assert hourly == FreshnessPolicy.time_window(
        fail_window=timedelta(hours=3), warn_window=timedelta(hours=2)
    )
    assert modelled_freshness_policy(0) == FreshnessPolicy.time_window(
        fail_window=timedelta(hours=36), warn_window=timedelta(hours=25)
    )

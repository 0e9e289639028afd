"""The modelled layer and the raw checks read an ``s3://`` lake as they read a local one."""

from __future__ import annotations

from dataclasses import replace

from dixa_assets_tests.conftest import day_ms, run_assets
from dixa_assets_tests.defs.modelled.conftest import RAW, query

DAYS = ("2025-03-03", "2025-03-04")


def test_tables_and_checks_from_a_lake_on_s3(settings, simulator, s3_lake_url):
    on_s3 = replace(settings, data_dir=s3_lake_url)  # the database file stays local
    raw = run_assets(on_s3, RAW, *DAYS)
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed
              for e in raw.get_asset_check_evaluations()}  # fmt: skip
    assert len(checks) == 8
    assert all(passed for (_, name), passed in checks.items() if name != "schema_drift")
    assert run_assets(on_s3, ["conversations"], None).success
    assert run_assets(on_s3, ["conversation_messages", "daily_support_metrics"], *DAYS).success

    start, end = day_ms(DAYS[0])[0], day_ms(DAYS[-1])[1]
    org = simulator.organisation
    conversations = query(on_s3, "SELECT id FROM dixa.conversations ORDER BY id")
    truth = sorted(c["id"] for c in org.conversations(start, end, field="updated_at"))
    assert [row["id"] for row in conversations] == truth
    messages = query(on_s3, "SELECT count(*) AS n FROM dixa.conversation_messages")
    assert messages == [{"n": len(org.messages(start, end))}]

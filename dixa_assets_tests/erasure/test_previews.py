"""No preview shows a personal column: Dagster keeps previews in its event log, out of the
erasure's reach."""

from __future__ import annotations

from dixa_assets.defs.modelled.conversation_messages import MESSAGE_PREVIEW
from dixa_assets.defs.modelled.daily_support_metrics import METRIC_PREVIEW
from dixa_assets.defs.raw.activity_asset import PREVIEW as ACTIVITY_PREVIEW
from dixa_assets.defs.raw.export_assets import CONVERSATION_PREVIEW, RAW_EXPORTS
from dixa_assets.erasure.personal import RAW_PERSONAL, TABLE_PERSONAL

PERSONAL = {
    name for table in (*RAW_PERSONAL.values(), *TABLE_PERSONAL.values()) for name in table.columns
}


def test_no_preview_shows_a_personal_column():
    previews = {
        **{export.asset_name: export.preview_columns for export in RAW_EXPORTS},
        "dixa_activity_log": ACTIVITY_PREVIEW,
        "conversations": CONVERSATION_PREVIEW,
        "conversation_messages": MESSAGE_PREVIEW,
        "daily_support_metrics": METRIC_PREVIEW,
    }
    assert "author_name" in PERSONAL and "requester_email" in PERSONAL
    for asset, columns in previews.items():
        assert not set(columns) & PERSONAL, asset

"""The asset keys the modelled layer reads and writes, named once.

The raw keys are looked up from the raw layer's own declarations, so a rename there cannot
silently disconnect the modelled assets from their inputs.
"""

from __future__ import annotations

from dagster import AssetKey

from dixa_assets.arrow.schemas import CONVERSATIONS, MESSAGES
from dixa_assets.defs.raw.export_assets import RAW_EXPORTS

MODELLED_GROUP = "dixa_modelled"
PRIVACY_GROUP = "dixa_privacy"

_RAW_BY_SPEC = {export.spec.name: export.asset_name for export in RAW_EXPORTS}
RAW_CONVERSATIONS_KEY = AssetKey(_RAW_BY_SPEC[CONVERSATIONS.name])
RAW_MESSAGES_KEY = AssetKey(_RAW_BY_SPEC[MESSAGES.name])

CONVERSATIONS_KEY = AssetKey("conversations")
CONVERSATION_MESSAGES_KEY = AssetKey("conversation_messages")
DAILY_SUPPORT_METRICS_KEY = AssetKey("daily_support_metrics")
EVENTS_KEY = AssetKey("conversation_events")
HANDLING_KEY = AssetKey("conversation_handling")
TEAM_METRICS_KEY = AssetKey("daily_team_metrics")
ERASURES_KEY = AssetKey("dixa_erasures")

"""Message records, shaped by channel the way the reference describes each field's relevance.

Messages never change after creation, so they are built once per generated day as final dicts.
"""

from __future__ import annotations

from dataclasses import dataclass

from dixa_assets.simulator.catalogue import (
    CHAT_ANSWERS,
    CHAT_MENU_TEXTS,
    CHAT_QUESTIONS,
    MESSAGE_LANGUAGES,
    Catalogue,
    Named,
    Person,
)
from dixa_assets.simulator.lifecycle import Record, Stamp

MESSAGE_FIELDS: tuple[str, ...] = (
    "id", "csid", "created_at", "initial_channel", "author_name", "author_email", "direction",
    "text", "from_phone_number", "to_phone_number", "duration", "recording_url", "voicemail_url",
    "to", "from", "cc", "bcc", "attached_files", "is_automated_message", "chat_input_question",
    "chat_input_answer", "chat_menu_text", "form_submission",
)  # fmt: skip
"""Every message field of the reference; null-style records carry all of them."""

_ALL_NULL: Record = dict.fromkeys(MESSAGE_FIELDS)

UNKNOWN_MESSAGE_FIELD = "detected_language"
"""A field no reference lists, carried by a small share of messages (stable name)."""

_FILES_HOST = "https://files.dixa-sim.example"


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What a conversation contributes to each of its messages.

    `agent_after_transfer` takes over from `agent` at `transfer_time` when a conversation is
    transferred to another agent.
    """

    csid: int
    channel: str
    inbound: bool
    requester: Person
    agent: Person | None
    agent_after_transfer: Person | None
    transfer_time: int
    email_integration: Named | None
    phone_line: Named | None
    nulls: bool
    stamp: Stamp
    unknown_fields: bool


def _author(record: Record, person: Person) -> None:
    record["author_name"] = person.name
    if person.email is not None:
        record["author_email"] = person.email


def build_message(
    catalogue: Catalogue,
    ctx: MessageContext,
    message_id: str,
    created_at: int,
    position: int,
    draw_a: float,
    draw_b: float,
) -> Record:
    """One message: `position` 0 is the conversation's opening message; draws are U[0, 1)."""
    agent = ctx.agent
    if ctx.agent_after_transfer is not None and created_at >= ctx.transfer_time:
        agent = ctx.agent_after_transfer
    inbound = ctx.inbound if position == 0 else agent is None or draw_a < 0.45
    automated = ctx.channel == "widgetchat" and position == 1 and not inbound and draw_b < 0.6
    record: Record = {
        "id": message_id,
        "csid": ctx.csid,
        "created_at": created_at,
        "initial_channel": ctx.channel,
        "direction": "inbound" if inbound else "outbound",
    }
    if automated:
        record["author_name"] = "Acme Bot"
    elif inbound or agent is None:
        _author(record, ctx.requester)
    else:
        _author(record, agent)
    pick = int(draw_b * 1_000_003)
    if inbound:
        text = catalogue.customer_texts[pick % len(catalogue.customer_texts)]
    elif automated:
        text = catalogue.automated_texts[pick % len(catalogue.automated_texts)]
    else:
        text = catalogue.agent_texts[pick % len(catalogue.agent_texts)]
    _CHANNEL_FIELDS[ctx.channel](record, ctx, inbound, position, text, pick)
    if ctx.channel == "widgetchat":
        record["is_automated_message"] = automated
    if ctx.unknown_fields:
        record[UNKNOWN_MESSAGE_FIELD] = MESSAGE_LANGUAGES[pick % len(MESSAGE_LANGUAGES)]
    if ctx.nulls:
        full = dict(_ALL_NULL)
        full.update(record)
        return full
    return record


def _email(
    record: Record, ctx: MessageContext, inbound: bool, _pos: int, text: str, pick: int
) -> None:
    ours = ctx.email_integration.id if ctx.email_integration else "support@acme.example"
    theirs = ctx.requester.email or "unknown@mail.example"
    record["text"] = text
    record["from"] = theirs if inbound else ours
    record["to"] = [ours] if inbound else [theirs]
    record["cc"] = [f"colleague.{pick % 97}@mail.example"] if pick % 5 == 0 else []
    record["bcc"] = ["archive@acme.example"] if not inbound and pick % 7 == 0 else []
    record["attached_files"] = (
        [f"{_FILES_HOST}/{ctx.csid}/{pick % 1000}/invoice.pdf"] if pick % 4 == 0 else []
    )


def _contactform(
    record: Record, ctx: MessageContext, inbound: bool, position: int, text: str, pick: int
) -> None:
    theirs = ctx.requester.email or "unknown@mail.example"
    record["text"] = text
    record["from"] = theirs if inbound else "support@acme.example"
    record["to"] = ["support@acme.example"] if inbound else [theirs]
    if position == 0:
        form: dict[str, object] = {"name": ctx.requester.name, "email": theirs}
        if ctx.requester.phone is not None:
            form["phone"] = ctx.requester.phone
        if pick % 3 == 0:
            form["order_number"] = str(100_000 + pick % 900_000)
        if pick % 5 == 0:
            form["consent"] = True
        record["form_submission"] = form


def _widgetchat(
    record: Record, _ctx: MessageContext, _inbound: bool, position: int, text: str, pick: int
) -> None:
    record["text"] = text
    if position == 0 and pick % 2 == 0:
        record["chat_input_question"] = CHAT_QUESTIONS[pick % len(CHAT_QUESTIONS)]
        record["chat_input_answer"] = CHAT_ANSWERS[pick % len(CHAT_ANSWERS)]
        if pick % 4 == 0:
            record["chat_menu_text"] = CHAT_MENU_TEXTS[pick % len(CHAT_MENU_TEXTS)]


def _phone_numbers(record: Record, ctx: MessageContext, inbound: bool) -> None:
    ours = ctx.phone_line.id if ctx.phone_line else "+4570000000"
    theirs = ctx.requester.phone or "+4511111111"
    record["from_phone_number"] = theirs if inbound else ours
    record["to_phone_number"] = ours if inbound else theirs


def _pstnphone(
    record: Record, ctx: MessageContext, inbound: bool, position: int, _text: str, pick: int
) -> None:
    _phone_numbers(record, ctx, inbound)
    record["duration"] = ctx.stamp(5 + pick % 1800)
    if pick % 6 != 0:
        record["recording_url"] = f"{_FILES_HOST}/recordings/{ctx.csid}-{position}.mp3"


def _voicemail(
    record: Record, ctx: MessageContext, inbound: bool, position: int, _text: str, pick: int
) -> None:
    _phone_numbers(record, ctx, inbound)
    record["duration"] = ctx.stamp(3 + pick % 120)
    record["voicemail_url"] = f"{_FILES_HOST}/voicemails/{ctx.csid}-{position}.wav"


def _messenger(
    record: Record, ctx: MessageContext, _inbound: bool, position: int, text: str, pick: int
) -> None:
    record["text"] = text
    if pick % 5 == 0:
        record["attached_files"] = [f"{_FILES_HOST}/{ctx.csid}/{pick % 1000}/photo.jpg"]
    if position == 0 and pick % 3 == 0:
        record["form_submission"] = {"name": ctx.requester.name, "topic": "Delivery"}


def _text_only(
    record: Record, _ctx: MessageContext, _inbound: bool, _pos: int, text: str, _pick: int
) -> None:
    record["text"] = text


_CHANNEL_FIELDS = {
    "email": _email,
    "contactform": _contactform,
    "widgetchat": _widgetchat,
    "pstnphone": _pstnphone,
    "voicemail": _voicemail,
    "facebookmessenger": _messenger,
    "sms": _text_only,
    "whatsapp": _text_only,
}

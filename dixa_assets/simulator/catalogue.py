"""The organisation's static cast: agents, queues, end users, tags, custom attributes, channels.

Everything here is a pure function of the seed, so two processes with the same seed agree on every
id and name. Per-day generation draws from these pools instead of inventing strings per record,
which keeps a 100k-conversation day small in memory (records share the same string objects).
"""

from __future__ import annotations

import functools
import random
import unicodedata
import uuid
from dataclasses import dataclass

CHANNELS: tuple[str, ...] = (
    "email",
    "widgetchat",
    "pstnphone",
    "voicemail",
    "facebookmessenger",
    "contactform",
    "sms",
    "whatsapp",
)
CHANNEL_WEIGHTS: tuple[float, ...] = (0.30, 0.25, 0.14, 0.05, 0.07, 0.08, 0.06, 0.05)
PHONE_CHANNELS = frozenset({"pstnphone", "voicemail"})
RATED_CHANNELS = frozenset({"email", "widgetchat", "contactform", "facebookmessenger", "sms"})
OUTBOUND_CAPABLE = frozenset({"email", "pstnphone", "sms", "whatsapp"})

COUNTRIES: tuple[str, ...] = ("DK", "SE", "NO", "DE", "GB", "NL", "FI", "US", "FR", "ES")

_FIRST_NAMES = (
    "Søren",
    "Åse",
    "Mette",
    "Jens",
    "Zoë",
    "François",
    "Björn",
    "Ingrid",
    "Łukasz",
    "Anna",
    "Oluwaseun",
    "Mei",
    "José",
    "Chloé",
    "Rasmus",
    "Freja",
    "Noah",
    "Ida",
    "Mikkel",
    "Ægir",
)
_LAST_NAMES = (
    "Jørgensen",
    "Hansen",
    "O'Brien",
    "Müller",
    "Nielsen",
    "Smith",
    "García",
    "Kowalski",
    "Lindqvist",
    "Østergaard",
    "Dupont",
    "van der Berg",
    "Nakamura",
    "Adeyemi",
    "Larsen",
)
_NOT_DECOMPOSABLE = str.maketrans({"ø": "oe", "æ": "ae", "ł": "l", "'": "", " ": "."})

_GREETINGS = ("Hej", "Hi there", "Hello 👋", "Good morning", "Hallo", "Hey!")
_BODIES = (
    "I haven't received my order #{n} yet.",
    'The "express" delivery option didn\'t work — can you check?',
    "Jeg vil gerne returnere varen. Hvordan gør jeg det?",
    "My invoice shows the wrong amount: 1.299,00 kr. instead of 999,00 kr.",
    "Can I change the delivery address?\nNew address: Vesterbrogade 1, 1620 København V",
    "Thanks for the quick reply 🙏🏻 that solved it!",
    "Der er en fejl i min profil 😕\n\nVenlig hilsen",
    "Is there a discount code for students? 🎓",
    "Please cancel my subscription ❌ — effective immediately.",
    'Tracking says "delivered" but nothing\'s here 📦🤷',
)
_SIGNOFFS = ("", "\nBest regards", "\n\nMvh.", " — thanks!", "\r\nCheers 🍀")
_AGENT_REPLIES = (
    "Thank you for reaching out! I have looked into it and fixed the issue.",
    "Hej! Tak for din henvendelse. Vi sender en ny pakke i dag 🚚",
    "Could you send me your order number, please?",
    "I've issued a refund; it can take 3-5 business days to show up.",
    'Sorry for the trouble 😊 I\'ve escalated this to our "Tier 2" team.',
    "Let me know if there's anything else!\n\nKind regards\nCustomer Care",
)
_AUTOMATED = (
    "Hi! 👋 An agent will be with you shortly.",
    "We are currently experiencing high volumes. Expected wait: ~5 min.",
    "Thanks! We have received your message and will reply by e-mail.",
)
_SUBJECTS = (
    "Order #{n}",
    "Question about my invoice",
    "Return request — wrong size",
    "Re: Your delivery 📦",
    'Complaint: "damaged" item',
    "Fwd: Subscription",
)
_WRAPUP_NOTES = (
    "Customer asked for a refund; approved by team lead.",
    "Escalated to logistics — waiting for carrier.",
    "Duplicate of an earlier conversation.",
    "Called back, no answer. Left voicemail.",
    "Intern note: kunden er VIP 🌟",
)
_TAG_NAMES = (
    "refund",
    "delivery",
    "invoice",
    "vip",
    "complaint",
    "bug",
    "feedback",
    "returns",
    "spam",
    "follow-up",
    "b2b",
    "urgent",
    "legacy-tag",
    "ø-special",
    "price match",
    "warranty",
)
_QUEUE_NAMES = ("Support DK", "Support SE", "Billing", "Returns", "VIP", "Phone Overflow")
_WIDGET_NAMES = ("Webshop chat", "Help centre widget", "Checkout assistant")
_PAGE_NAMES = ("Acme Nordic", "Acme Outlet")
CHAT_QUESTIONS = ("How can we help?", "What is your order about?", "Choose a topic")
CHAT_ANSWERS = ("None of the above", "Delivery", "Returns", "Billing")
CHAT_MENU_TEXTS = ("Please input your order number.", "Pick one of the options below.")
MESSAGE_LANGUAGES = ("da", "en", "sv", "de")
AI_MODELS = ("summary-v1", "summary-v2")


@dataclass(frozen=True, slots=True)
class Person:
    """An agent or end user; optional contact details are None when the person has none."""

    id: str
    name: str
    email: str | None
    phone: str | None
    additional_emails: tuple[str, ...] = ()
    additional_phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Named:
    """Something with an id and a display name: queue, widget, Facebook page, phone line."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Tag:
    """A conversation tag as tap-dixa's object shape of `tags_info` describes it."""

    id: str
    name: str
    is_deactivated: bool


@dataclass(frozen=True, slots=True)
class CustomAttribute:
    """A custom attribute definition; `options` are its possible values."""

    attribute_id: str
    identifier: str
    data_type: str
    archived: bool
    multi: bool
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All pools the per-day generator picks from, plus the text pools it reuses."""

    agents: tuple[Person, ...]
    requesters: tuple[Person, ...]
    queues: tuple[Named, ...]
    widgets: tuple[Named, ...]
    facebook_pages: tuple[Named, ...]
    phone_lines: tuple[Named, ...]
    email_integrations: tuple[Named, ...]
    tags: tuple[Tag, ...]
    custom_attributes: tuple[CustomAttribute, ...]
    customer_texts: tuple[str, ...]
    agent_texts: tuple[str, ...]
    automated_texts: tuple[str, ...]
    subjects: tuple[str, ...]
    wrapup_notes: tuple[str, ...]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _phone(rng: random.Random) -> str:
    return f"+45{rng.randrange(20_000_000, 99_999_999)}"


def _email_local_part(name: str) -> str:
    """ASCII local part of an e-mail address for a display name ("Søren Ø" -> "soeren.oe")."""
    folded = unicodedata.normalize("NFKD", name.lower().translate(_NOT_DECOMPOSABLE))
    return folded.encode("ascii", "ignore").decode()


def _person(rng: random.Random, domain: str, index: int) -> Person:
    name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    local = _email_local_part(name)
    extra_emails = tuple(f"{local}+{k}@mail.example" for k in range(rng.choice((0, 0, 0, 1, 2))))
    extra_phones = tuple(_phone(rng) for _ in range(rng.choice((0, 0, 0, 1))))
    return Person(
        id=_uuid(rng),
        name=name,
        email=f"{local}.{index}@{domain}" if rng.random() < 0.93 else None,
        phone=_phone(rng) if rng.random() < 0.7 else None,
        additional_emails=extra_emails,
        additional_phones=extra_phones,
    )


def _custom_attributes(rng: random.Random) -> tuple[CustomAttribute, ...]:
    specs = (
        ("order_number", "text", False, False, ("100234", "100981", "A-77", "")),
        ("product_area", "select", False, False, ("Shoes", "Bags", "Accessories")),
        ("issue_types", "multiselect", False, True, ("Damaged", "Late", "Wrong item", "Other")),
        ("priority", "select", False, False, ("low", "normal", "high")),
        ("newsletter_opt_in", "boolean", False, False, ("true", "false")),
        ("legacy_category", "text", True, False, ("Old A", "Old B")),
    )
    return tuple(
        CustomAttribute(_uuid(rng), identifier, data_type, archived, multi, options)
        for identifier, data_type, archived, multi, options in specs
    )


@functools.lru_cache(maxsize=8)
def build_catalogue(seed: int, requester_count: int = 5000) -> Catalogue:
    """Derive the organisation's cast from `seed` alone (immutable, so shared between
    organisations with the same seed)."""
    rng = random.Random(f"dixa-simulator:{seed}:catalogue")
    customer_texts = tuple(
        f"{greeting}\n{body}{signoff}".replace("{n}", str(100_000 + i))
        for i, (greeting, body, signoff) in enumerate(
            (g, b, s) for g in _GREETINGS for b in _BODIES for s in _SIGNOFFS
        )
    )
    return Catalogue(
        agents=tuple(_person(rng, "acme-support.example", i) for i in range(25)),
        requesters=tuple(_person(rng, "mail.example", i) for i in range(requester_count)),
        queues=tuple(Named(_uuid(rng), name) for name in _QUEUE_NAMES),
        widgets=tuple(Named(_uuid(rng), name) for name in _WIDGET_NAMES),
        facebook_pages=tuple(
            Named(str(rng.randrange(10**14, 10**15)), name) for name in _PAGE_NAMES
        ),
        phone_lines=tuple(
            Named(number, f"Hotline {k + 1}")
            for k, number in enumerate(_phone(rng) for _ in range(3))
        ),
        email_integrations=tuple(
            Named(address, sender)
            for address, sender in (
                ("support@acme.example", "Acme Support"),
                ("billing@acme.example", "Acme Billing"),
                ("hej@acme.example", ""),
            )
        ),
        tags=tuple(Tag(_uuid(rng), name, k % 7 == 6) for k, name in enumerate(_TAG_NAMES)),
        custom_attributes=_custom_attributes(rng),
        customer_texts=customer_texts,
        agent_texts=_AGENT_REPLIES,
        automated_texts=_AUTOMATED,
        subjects=tuple(s.replace("{n}", str(200_000 + k)) for k, s in enumerate(_SUBJECTS)),
        wrapup_notes=_WRAPUP_NOTES,
    )

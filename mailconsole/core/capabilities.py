"""What each provider can do, declared once.

The window enables, disables and explains its fields from this table alone; validation checks a
message against it before anything is sent. Limits come from the published documentation and
CONTRACT.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MB = 1024 * 1024


class Scheduling(StrEnum):
    """How a provider schedules a message, if at all."""

    NONE = "none"  #: the console keeps a local send-later in its outbox
    DATETIME_UTC = "datetime_utc"  #: ISO 8601 UTC (MailingAPI scheduled_at, eMsgNow notBefore)
    LOCAL_MINUTE = "local_minute"  #: 'YYYY-MM-DD HH:MM' in the account's time zone (SMS.BY)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """One provider's features and limits.

    Sizes are decoded bytes; ``None`` means no documented limit. ``display_names`` is about
    recipients' names, ``sender_name`` about the sender's (SMS.BY takes a ``sender_name`` but bare
    recipient addresses); ``max_to`` is how many To addresses one message may have (EmailMassivo
    and eMsgNow take a single ``to``; SMS.BY sends several through ``sendBulkEmail``).
    ``rate_per_second`` and ``rate_per_minute`` are the provider's request budget (the client
    paces itself under it).
    """

    provider: str
    display_name: str
    production_url: str | None
    cc_bcc: bool
    display_names: bool
    sender_name: bool
    max_to: int | None
    attachments: bool
    max_attachments: int | None
    max_attachment_bytes: int | None
    max_total_attachment_bytes: int | None
    forbidden_extensions: frozenset[str]
    inline_images: bool
    html: bool
    text_only: bool
    text_required: bool
    max_text_chars: int | None
    preview_title: bool
    max_preview_title: int | None
    custom_headers: bool
    scheduling: Scheduling
    max_schedule_days: int | None
    cancel_scheduled: bool
    expiry: bool
    events: bool
    message_lookup: bool
    message_listing: bool
    template_listing: bool
    send_by_template: bool
    template_needs_subject: bool
    batch_size: int
    tracking_switches: bool
    tags: bool
    metadata: bool
    analysis: bool
    suppression_sync: bool
    idempotency: bool
    client_reference: bool
    callbacks: bool
    rate_per_second: float | None
    rate_per_minute: int | None

    def lacks(self, feature: str) -> str:
        """A sentence for a disabled field's tooltip: "eMsgNow has no Cc"."""
        return f"{self.display_name} has no {feature}"


EMAILMASSIVO = Capabilities(
    provider="emailmassivo",
    display_name="EmailMassivo",
    production_url="https://api.emailmassivo.com",
    cc_bcc=True,
    display_names=True,
    sender_name=True,
    max_to=1,
    attachments=True,
    max_attachments=None,
    max_attachment_bytes=None,
    max_total_attachment_bytes=10 * MB,
    forbidden_extensions=frozenset({"exe", "bat", "cmd", "com", "js", "vbs", "scr", "jar", "msi"}),
    inline_images=False,
    html=True,
    text_only=True,
    text_required=False,
    max_text_chars=None,
    preview_title=True,
    max_preview_title=255,
    custom_headers=True,
    scheduling=Scheduling.NONE,
    max_schedule_days=None,
    cancel_scheduled=False,
    expiry=False,
    events=False,
    message_lookup=False,
    message_listing=False,
    template_listing=False,
    send_by_template=True,
    template_needs_subject=True,
    batch_size=1,
    tracking_switches=False,
    tags=False,
    metadata=False,
    analysis=False,
    suppression_sync=False,
    idempotency=True,
    client_reference=False,
    callbacks=False,
    rate_per_second=10,
    rate_per_minute=None,
)

SMSBY = Capabilities(
    provider="smsby",
    display_name="SMS.BY",
    production_url="https://app.sms.by",
    cc_bcc=False,
    display_names=False,
    sender_name=True,
    max_to=None,
    attachments=True,
    max_attachments=1,
    max_attachment_bytes=None,
    max_total_attachment_bytes=None,
    forbidden_extensions=frozenset(),
    inline_images=False,
    html=True,
    text_only=True,
    text_required=False,
    max_text_chars=None,
    preview_title=False,
    max_preview_title=None,
    custom_headers=False,
    scheduling=Scheduling.LOCAL_MINUTE,
    max_schedule_days=None,
    cancel_scheduled=False,
    expiry=False,
    events=True,
    message_lookup=True,
    message_listing=False,
    template_listing=True,
    send_by_template=False,
    template_needs_subject=True,
    batch_size=1000,
    tracking_switches=True,
    tags=False,
    metadata=False,
    analysis=False,
    suppression_sync=True,
    idempotency=False,
    client_reference=False,
    callbacks=False,
    rate_per_second=None,
    rate_per_minute=None,
)

MAILINGAPI = Capabilities(
    provider="mailingapi",
    display_name="MailingAPI",
    production_url="https://api.mailingapi.com",
    cc_bcc=True,
    display_names=True,
    sender_name=True,
    max_to=None,
    attachments=True,
    max_attachments=10,
    max_attachment_bytes=10 * MB,
    max_total_attachment_bytes=None,
    forbidden_extensions=frozenset(),
    inline_images=True,
    html=True,
    text_only=True,
    text_required=False,
    max_text_chars=None,
    preview_title=False,
    max_preview_title=None,
    custom_headers=True,
    scheduling=Scheduling.DATETIME_UTC,
    max_schedule_days=30,
    cancel_scheduled=True,
    expiry=False,
    events=True,
    message_lookup=True,
    message_listing=True,
    template_listing=False,
    send_by_template=True,
    template_needs_subject=True,
    batch_size=1000,
    tracking_switches=True,
    tags=True,
    metadata=True,
    analysis=True,
    suppression_sync=False,
    idempotency=False,
    client_reference=True,
    callbacks=False,
    rate_per_second=None,
    rate_per_minute=None,
)

EMSGNOW = Capabilities(
    provider="emsgnow",
    display_name="eMsgNow",
    production_url=None,
    cc_bcc=False,
    display_names=False,
    sender_name=False,
    max_to=1,
    attachments=False,
    max_attachments=0,
    max_attachment_bytes=None,
    max_total_attachment_bytes=None,
    forbidden_extensions=frozenset(),
    inline_images=False,
    html=False,
    text_only=True,
    text_required=True,
    max_text_chars=25_000,
    preview_title=False,
    max_preview_title=None,
    custom_headers=False,
    scheduling=Scheduling.DATETIME_UTC,
    max_schedule_days=None,
    cancel_scheduled=False,
    expiry=True,
    events=True,
    message_lookup=True,
    message_listing=False,
    template_listing=False,
    send_by_template=True,
    template_needs_subject=False,
    batch_size=1,
    tracking_switches=False,
    tags=False,
    metadata=False,
    analysis=False,
    suppression_sync=False,
    idempotency=False,
    client_reference=True,
    callbacks=True,
    rate_per_second=None,
    rate_per_minute=120,
)

CAPABILITIES: dict[str, Capabilities] = {
    c.provider: c for c in (EMAILMASSIVO, SMSBY, MAILINGAPI, EMSGNOW)
}

PROVIDER_IDS: tuple[str, ...] = tuple(CAPABILITIES)


def capabilities_for(provider: str) -> Capabilities:
    """The capabilities of ``provider``; raises KeyError naming the known ids otherwise."""
    try:
        return CAPABILITIES[provider]
    except KeyError:
        known = ", ".join(PROVIDER_IDS)
        raise KeyError(f"unknown provider {provider!r}; known: {known}") from None

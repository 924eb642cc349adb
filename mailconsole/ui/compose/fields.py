"""Field names shared by Compose: the order fields appear in, and the names providers use for
them, so an error lands on the field the user sees."""

from __future__ import annotations

#: Compose's fields, top to bottom and left to right (focus goes to the first with an error).
FIELD_ORDER: tuple[str, ...] = (
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "preview_title",
    "template",
    "html",
    "text",
    "attachments",
    "tags",
    "metadata",
    "track_opens",
    "track_clicks",
    "send_at",
    "expire_at",
)

#: What providers call a field (CONTRACT.md wire names) -> the compose field.
FIELD_ALIASES: dict[str, str] = {
    "sender": "from",
    "from_email": "from",
    "from.email": "from",
    "sender_name": "from",
    "email": "to",
    "to.email": "to",
    "recipient": "to",
    "recipients": "to",
    "delivery_list": "to",
    "previewtitle": "preview_title",
    "preview": "preview_title",
    "body": "html",
    "message": "text",
    "plain": "text",
    "attachment": "attachments",
    "files": "attachments",
    "file": "attachments",
    "scheduled_at": "send_at",
    "notbefore": "send_at",
    "d_schedule": "send_at",
    "notafter": "expire_at",
    "template_id": "template",
    "templateid": "template",
    "idtemplatemailuser": "template",
    "template_data": "template",
    "params": "template",
    "track_open": "track_opens",
    "track_click": "track_clicks",
    "tracking": "track_opens",
}

#: How the summary line names each field.
FIELD_LABELS: dict[str, str] = {
    "from": "From",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
    "subject": "Subject",
    "preview_title": "Preview text",
    "template": "Template",
    "html": "HTML",
    "text": "Text",
    "attachments": "Attachments",
    "tags": "Tags",
    "metadata": "Metadata",
    "track_opens": "Track opens",
    "track_clicks": "Track clicks",
    "send_at": "Send at",
    "expire_at": "Expire at",
    "headers": "Headers",
    "client_reference": "Reference",
    "callback_url": "Callback URL",
}


def compose_field(name: str | None) -> str | None:
    """The compose field a provider's or validator's field name refers to, if any."""
    if not name:
        return None
    key = name.strip().lower()
    if key in FIELD_ORDER:
        return key
    alias = FIELD_ALIASES.get(key) or FIELD_ALIASES.get(key.replace("-", "_"))
    if alias:
        return alias
    head = key.split(".", 1)[0].split("[", 1)[0]
    if head != key:
        return compose_field(head)
    return None


def field_rank(field: str) -> int:
    try:
        return FIELD_ORDER.index(field)
    except ValueError:
        return len(FIELD_ORDER)

"""JSON forms of what the journal keeps: a :class:`Message` (the outbox request) and times.

Attachment contents are not inlined: each is stored once in the ``blobs`` table under its
SHA-256, so a bulk send of 1,000 rows with the same 5 MB file keeps one copy.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from mailconsole.core.message import Address, Attachment, Message, TemplateRef

#: The Message fields the codec writes; a test compares it with ``dataclasses.fields``.
MESSAGE_FIELDS = frozenset(
    {
        "sender",
        "to",
        "subject",
        "html",
        "text",
        "cc",
        "bcc",
        "preview_title",
        "headers",
        "attachments",
        "tags",
        "metadata",
        "track_opens",
        "track_clicks",
        "send_at",
        "expire_at",
        "template",
        "client_reference",
        "idempotency_key",
        "callback_url",
    }
)


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive ones are refused)."""
    if value.tzinfo is None:
        raise ValueError("the journal stores aware datetimes only")
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """The aware UTC datetime of :func:`to_micros`."""
    seconds, micros = divmod(value, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def opt_micros(value: datetime | None) -> int | None:
    """:func:`to_micros`, passing None through."""
    return None if value is None else to_micros(value)


def opt_datetime(value: int | None) -> datetime | None:
    """:func:`from_micros`, passing None through."""
    return None if value is None else from_micros(value)


def _address(a: Address) -> dict[str, str]:
    return {"email": a.email, "name": a.name} if a.name else {"email": a.email}


def _parse_address(d: Mapping[str, str]) -> Address:
    return Address(email=d["email"], name=d.get("name", ""))


def sha256_hex(content: bytes) -> str:
    """The key a blob is stored under."""
    return hashlib.sha256(content).hexdigest()


def encode_message(message: Message) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The JSON-ready form of ``message`` and the attachment contents keyed by SHA-256."""
    blobs: dict[str, bytes] = {}
    attachments = []
    for att in message.attachments:
        digest = sha256_hex(att.content)
        blobs[digest] = att.content
        attachments.append(
            {
                "filename": att.filename,
                "content_type": att.content_type,
                "content_id": att.content_id,
                "sha256": digest,
                "size": att.size,
            }
        )
    data: dict[str, Any] = {
        "sender": _address(message.sender),
        "to": [_address(a) for a in message.to],
        "subject": message.subject,
        "html": message.html,
        "text": message.text,
        "cc": [_address(a) for a in message.cc],
        "bcc": [_address(a) for a in message.bcc],
        "preview_title": message.preview_title,
        "headers": dict(message.headers),
        "attachments": attachments,
        "tags": list(message.tags),
        "metadata": dict(message.metadata),
        "track_opens": message.track_opens,
        "track_clicks": message.track_clicks,
        "send_at": opt_micros(message.send_at),
        "expire_at": opt_micros(message.expire_at),
        "template": (
            None
            if message.template is None
            else {
                "template_id": message.template.template_id,
                "variables": dict(message.template.variables),
            }
        ),
        "client_reference": message.client_reference,
        "idempotency_key": message.idempotency_key,
        "callback_url": message.callback_url,
    }
    return data, blobs


def decode_message(data: Mapping[str, Any], blob: Callable[[str], bytes]) -> Message:
    """The :class:`Message` of :func:`encode_message`; ``blob`` fetches a content by hash."""
    template = data.get("template")
    return Message(
        sender=_parse_address(data["sender"]),
        to=tuple(_parse_address(a) for a in data["to"]),
        subject=data.get("subject", ""),
        html=data.get("html", ""),
        text=data.get("text", ""),
        cc=tuple(_parse_address(a) for a in data.get("cc", ())),
        bcc=tuple(_parse_address(a) for a in data.get("bcc", ())),
        preview_title=data.get("preview_title", ""),
        headers=dict(data.get("headers", {})),
        attachments=tuple(
            Attachment(
                filename=a["filename"],
                content=blob(a["sha256"]),
                content_type=a.get("content_type", "application/octet-stream"),
                content_id=a.get("content_id"),
            )
            for a in data.get("attachments", ())
        ),
        tags=tuple(data.get("tags", ())),
        metadata=dict(data.get("metadata", {})),
        track_opens=data.get("track_opens"),
        track_clicks=data.get("track_clicks"),
        send_at=opt_datetime(data.get("send_at")),
        expire_at=opt_datetime(data.get("expire_at")),
        template=(
            None
            if template is None
            else TemplateRef(
                template_id=template["template_id"], variables=dict(template["variables"])
            )
        ),
        client_reference=data["client_reference"],
        idempotency_key=data.get("idempotency_key"),
        callback_url=data.get("callback_url"),
    )


def json_default(value: object) -> object:
    """``json.dumps`` hook: bytes become ``{"$bytes": base64}``, datetimes ISO 8601."""
    if isinstance(value, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__} in the journal")


def json_object_hook(obj: dict[str, Any]) -> Any:
    """``json.loads`` hook undoing :func:`json_default`."""
    if len(obj) == 1:
        if "$bytes" in obj:
            return base64.b64decode(obj["$bytes"])
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
    return obj


def message_field_names() -> frozenset[str]:
    """The names of :class:`Message`'s fields (for the codec's completeness test)."""
    return frozenset(f.name for f in fields(Message))

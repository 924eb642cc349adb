"""Check a message against a provider's capabilities before anything is sent.

Every problem becomes a :class:`FieldError` naming the compose field it concerns (``"from"``,
``"to"``, ``"cc"``, ``"bcc"``, ``"subject"``, ``"preview_title"``, ``"html"``, ``"text"``,
``"attachments"``, ``"headers"``, ``"tags"``, ``"metadata"``, ``"track_opens"``,
``"track_clicks"``, ``"send_at"``, ``"expire_at"``, ``"template"``, ``"client_reference"``,
``"callback_url"``) and a sentence that tells the user what to do. All problems are reported at
once, so the window can mark every field in one pass.

Decisions where the providers leave room:

- Display names. ``caps.sender_name`` governs the sender's name (SMS.BY has ``sender_name``,
  eMsgNow has none); ``caps.display_names`` governs recipients' names (SMS.BY and eMsgNow take
  bare addresses). A name the provider cannot carry is an error rather than being dropped
  silently: what the user sees is what is sent.
- Several To addresses are an error only where the API takes a single ``to`` and has no bulk
  method (``caps.max_to``): SMS.BY takes them through ``sendBulkEmail``.
- A template supplies the body: a message sent by template carries no HTML or text of its own
  (eMsgNow takes exactly one of ``message`` and ``templateId``; EmailMassivo's
  ``send-by-template`` takes no ``html``/``text``).
- Scheduling a message with a provider that cannot schedule is not an error: the console keeps
  it in its outbox and sends it later. The send time must be at least :data:`SCHEDULE_MARGIN`
  ahead (SMS.BY schedules to the minute and answers 400 for a time in the past), and no
  further ahead than the provider allows. The check is for the moment the user submits: the
  outbox does not validate ``send_at`` again when it sends.
- ``client_reference`` is at most 100 characters everywhere (eMsgNow's ``clientId`` limit, the
  strictest), since the console's own ids are far shorter.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from mailconsole.core.capabilities import MB, Capabilities
from mailconsole.core.message import Address, Message

#: How far ahead of now a send time must be.
SCHEDULE_MARGIN = timedelta(minutes=1)

#: RFC 5322 section 2.1.1: a line, the subject's included, is at most 998 characters.
MAX_SUBJECT_CHARS = 998

#: eMsgNow's ``clientId`` limit, applied everywhere.
MAX_CLIENT_REFERENCE_CHARS = 100

#: The metadata key the console uses for its own id (MailingAPI ``metadata.mailconsole_id``).
RESERVED_METADATA_KEYS = frozenset({"mailconsole_id"})

#: Headers the console sets from the message's own fields; a custom header must not replace them.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)

#: RFC 5322 section 3.6.8: a field name is printable US-ASCII except the colon.
_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")

#: Characters that end a header line and so could inject another header.
_LINE_BREAKS = ("\r", "\n", "\x00")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of a message, in a sentence for the user."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class MessageInvalid(ValueError):
    """The message cannot be sent as it is; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__(self._describe())

    def _describe(self) -> str:
        lines = [f"- {error}" for error in self.errors]
        return "The message cannot be sent:\n" + "\n".join(lines)

    def __str__(self) -> str:
        return self._describe()


def human_size(size: int) -> str:
    """A size for people: ``512 bytes``, ``3.5 KB``, ``11.2 MB`` (binary units, as providers)."""
    if size < 1024:
        return f"{size} byte" if size == 1 else f"{size} bytes"
    for unit, scale in (("KB", 1024), ("MB", MB), ("GB", 1024 * MB)):
        if size < scale * 1024 or unit == "GB":
            value = f"{size / scale:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def has_line_break(text: str) -> bool:
    """True when ``text`` holds CR, LF or NUL, which would end a header line."""
    return any(char in text for char in _LINE_BREAKS)


def _injection(field: str, what: str) -> FieldError:
    return FieldError(
        field,
        f"{what} contains a line break — remove it (a line break in a header could add "
        "headers of its own)",
    )


_FIELD_LABELS = {"from": "From", "to": "To", "cc": "Cc", "bcc": "Bcc"}


def validate_address(value: str | Address, *, field: str) -> FieldError | None:
    """Check one address's syntax (email-validator, no DNS) and its display name.

    ``value`` is an :class:`Address` or the text the user typed (``Jane <jane@x.com>``).
    """
    address = Address.parse(value) if isinstance(value, str) else value
    label = _FIELD_LABELS.get(field, field)
    if has_line_break(address.name):
        return _injection(field, f"The name of {address.email!r} in {label}")
    if not address.email.strip():
        return FieldError(field, f"An address in {label} is empty — enter an email address")
    try:
        validate_email(address.email, check_deliverability=False)
    except EmailNotValidError as exc:
        return FieldError(
            field,
            f"{address.email!r} in {label} is not a valid email address: {exc} "
            "Correct or remove it.",
        )
    return None


def validate_message(
    message: Message,
    caps: Capabilities,
    *,
    now: datetime | None = None,
    verified_domains: Collection[str] | None = None,
) -> list[FieldError]:
    """Every problem that stops ``message`` from being sent with ``caps``'s provider.

    ``now`` (aware, else ValueError; default the current UTC time) is when the user submits; with
    ``verified_domains`` the sender's domain must be one of them. An empty list means the
    message may be sent.
    """
    if now is None:
        now = datetime.now(UTC)
    elif not _is_aware(now):
        raise ValueError("now must be an aware datetime")
    errors: list[FieldError] = []
    errors += _check_sender(message, caps, verified_domains)
    errors += _check_recipients(message, caps)
    errors += _check_subject(message, caps)
    errors += _check_preview_title(message, caps)
    errors += _check_body(message, caps)
    errors += _check_attachments(message, caps)
    errors += _check_headers(message, caps)
    errors += _check_tags_and_metadata(message, caps)
    errors += _check_tracking(message, caps)
    errors += _check_schedule(message, caps, now)
    errors += _check_references(message, caps)
    return errors


def ensure_valid(
    message: Message,
    caps: Capabilities,
    *,
    now: datetime | None = None,
    verified_domains: Collection[str] | None = None,
) -> None:
    """Raise :class:`MessageInvalid` listing every problem, if there is any."""
    errors = validate_message(message, caps, now=now, verified_domains=verified_domains)
    if errors:
        raise MessageInvalid(errors)


# -- the checks, one group of fields each -------------------------------------------------------


def _check_sender(
    message: Message, caps: Capabilities, verified_domains: Collection[str] | None
) -> Iterable[FieldError]:
    sender = message.sender
    error = validate_address(sender, field="from")
    if error is not None:
        yield error
        return
    if sender.name and not caps.sender_name:
        yield FieldError(
            "from",
            f"{caps.display_name} sends from a bare address — remove the sender name "
            f"{sender.name!r} or pick another account",
        )
    if verified_domains is not None:
        domains = {d.strip().lower() for d in verified_domains}
        if sender.domain not in domains:
            known = ", ".join(sorted(domains)) or "none yet"
            yield FieldError(
                "from",
                f"The domain {sender.domain} is not verified for this account (verified: "
                f"{known}) — send from a verified domain or verify it with "
                f"{caps.display_name} first",
            )


def _check_recipients(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    if not message.to:
        yield FieldError("to", "Add at least one To address")
    if caps.max_to is not None and len(message.to) > caps.max_to:
        others = " put the others in Cc or Bcc, or" if caps.cc_bcc else ""
        yield FieldError(
            "to",
            f"{caps.display_name} sends each message to {_count(caps.max_to, 'To address')} —"
            f"{others} use a bulk send for {len(message.to)} recipients",
        )
    for field, addresses in (("to", message.to), ("cc", message.cc), ("bcc", message.bcc)):
        label = _FIELD_LABELS[field]
        if addresses and field != "to" and not caps.cc_bcc:
            yield FieldError(
                field,
                f"{label} is not supported by {caps.display_name} — remove the {label} "
                "addresses or pick another account",
            )
            continue
        for address in addresses:
            error = validate_address(address, field=field)
            if error is not None:
                yield error
            elif address.name and not caps.display_names:
                yield FieldError(
                    field,
                    f"{caps.display_name} takes bare recipient addresses — write "
                    f"{address.email} without the name {address.name!r}",
                )


def _check_subject(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    subject = message.subject
    if has_line_break(subject):
        yield _injection("subject", "The subject")
    if len(subject) > MAX_SUBJECT_CHARS:
        yield FieldError(
            "subject",
            f"The subject is {len(subject):,} characters long; shorten it to at most "
            f"{MAX_SUBJECT_CHARS}",
        )
    if not subject.strip():
        by_template = message.template is not None and caps.send_by_template
        if not (by_template and not caps.template_needs_subject):
            yield FieldError("subject", "Enter a subject")


def _check_preview_title(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    title = message.preview_title
    if not title:
        return
    if not caps.preview_title:
        yield FieldError(
            "preview_title",
            f"A preview title is not supported by {caps.display_name} — clear it or pick "
            "another account",
        )
        return
    if has_line_break(title):
        yield _injection("preview_title", "The preview title")
    if caps.max_preview_title is not None and len(title) > caps.max_preview_title:
        yield FieldError(
            "preview_title",
            f"The preview title is {len(title):,} characters long; {caps.display_name} allows "
            f"{caps.max_preview_title} — shorten it",
        )


def _check_body(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    html = message.html.strip()
    text = message.text.strip()
    template = message.template
    if template is not None:
        if not caps.send_by_template:
            yield FieldError(
                "template",
                f"{caps.display_name} cannot send by template — write the message instead or "
                "pick another account",
            )
        elif not template.template_id.strip():
            yield FieldError("template", "Choose a template")
        if html or text:
            yield FieldError(
                "template",
                "A message sent by template takes its body from the template — clear the "
                "HTML and text, or remove the template",
            )
    elif not html and not text:
        field = "html" if caps.html else "text"
        what = "HTML or plain text" if caps.html else "the message text"
        alternatively = ", or choose a template" if caps.send_by_template else ""
        yield FieldError(field, f"The message has no body — write {what}{alternatively}")
    if html and not caps.html:
        yield FieldError(
            "html",
            f"{caps.display_name} sends plain text only — remove the HTML body (put the "
            "content in the text) or pick another account",
        )
    if caps.max_text_chars is not None and len(message.text) > caps.max_text_chars:
        yield FieldError(
            "text",
            f"The text is {len(message.text):,} characters long; {caps.display_name} allows "
            f"{caps.max_text_chars:,} — shorten it",
        )


def _check_attachments(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    attachments = message.attachments
    if not attachments:
        return
    name = caps.display_name
    if not caps.attachments:
        yield FieldError(
            "attachments",
            f"Attachments are not supported by {name} — remove them or pick another account",
        )
        return
    if caps.max_attachments is not None and len(attachments) > caps.max_attachments:
        yield FieldError(
            "attachments",
            f"{_count(len(attachments), 'file')} attached; {name} allows "
            f"{_count(caps.max_attachments, 'file')} — remove "
            f"{len(attachments) - caps.max_attachments} or pick another account",
        )
    content_ids: set[str] = set()
    for attachment in attachments:
        filename = attachment.filename
        if not filename.strip():
            yield FieldError("attachments", "An attachment has no file name — give it one")
            continue
        if has_line_break(filename):
            yield _injection("attachments", f"The file name {filename!r}")
            continue
        extension = filename.rpartition(".")[2].lower() if "." in filename else ""
        if extension in caps.forbidden_extensions:
            yield FieldError(
                "attachments",
                f"{name} refuses .{extension} files ({filename}) — remove it or send it "
                "another way",
            )
        if caps.max_attachment_bytes is not None and attachment.size > caps.max_attachment_bytes:
            yield FieldError(
                "attachments",
                f"{filename} is {human_size(attachment.size)}; {name} allows "
                f"{human_size(caps.max_attachment_bytes)} per file — remove it or send a "
                "smaller file",
            )
        if attachment.content_id is not None:
            if not caps.inline_images:
                yield FieldError(
                    "attachments",
                    f"Inline images are not supported by {name} — attach {filename} as an "
                    "ordinary file or pick another account",
                )
            elif has_line_break(attachment.content_id) or not attachment.content_id.strip():
                yield FieldError(
                    "attachments",
                    f"The content id of {filename} must be one line of text — correct it",
                )
            elif attachment.content_id in content_ids:
                yield FieldError(
                    "attachments",
                    f"Two inline images use the content id {attachment.content_id!r} — give "
                    "each its own",
                )
            content_ids.add(attachment.content_id)
    total = sum(a.size for a in attachments)
    if caps.max_total_attachment_bytes is not None and total > caps.max_total_attachment_bytes:
        yield FieldError(
            "attachments",
            f"The attachments come to {human_size(total)}; {name} allows "
            f"{human_size(caps.max_total_attachment_bytes)} in total — remove some",
        )


def _check_headers(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    if not message.headers:
        return
    if not caps.custom_headers:
        yield FieldError(
            "headers",
            f"Custom headers are not supported by {caps.display_name} — remove them or pick "
            "another account",
        )
        return
    for name, value in message.headers.items():
        if not _FIELD_NAME.fullmatch(name):
            yield FieldError(
                "headers",
                f"{name!r} is not a valid header name — use letters, digits and hyphens "
                "(e.g. X-Campaign), without spaces or colons",
            )
        elif name.lower() in RESERVED_HEADERS:
            yield FieldError(
                "headers",
                f"The {name} header is set from the message itself — use the message's own "
                "field instead of a custom header",
            )
        if has_line_break(value):
            yield _injection("headers", f"The value of the {name!r} header")


def _check_tags_and_metadata(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    name = caps.display_name
    if message.tags:
        if not caps.tags:
            yield FieldError(
                "tags",
                f"Tags are not supported by {name} — remove them or pick another account",
            )
        else:
            for tag in message.tags:
                if has_line_break(tag):
                    yield _injection("tags", f"The tag {tag!r}")
                elif not tag.strip():
                    yield FieldError("tags", "A tag is empty — remove it or give it a name")
    if message.metadata:
        if not caps.metadata:
            yield FieldError(
                "metadata",
                f"Metadata is not supported by {name} — remove it or pick another account",
            )
            return
        for key, value in message.metadata.items():
            if has_line_break(key):
                yield _injection("metadata", f"The metadata key {key!r}")
            elif not key.strip():
                yield FieldError("metadata", "A metadata key is empty — give it a name")
            elif key in RESERVED_METADATA_KEYS:
                yield FieldError(
                    "metadata",
                    f"The metadata key {key!r} is the console's own — choose another name",
                )
            if has_line_break(value):
                yield _injection("metadata", f"The value of metadata {key!r}")


def _check_tracking(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    if caps.tracking_switches:
        return
    for field, value, what in (
        ("track_opens", message.track_opens, "open"),
        ("track_clicks", message.track_clicks, "click"),
    ):
        if value is not None:
            yield FieldError(
                field,
                f"{caps.display_name} cannot switch {what} tracking on or off — leave it at "
                "the default or pick another account",
            )


def _check_schedule(message: Message, caps: Capabilities, now: datetime) -> Iterable[FieldError]:
    send_at, expire_at = message.send_at, message.expire_at
    send_at_ok = False
    if send_at is not None:
        if not _is_aware(send_at):
            yield FieldError("send_at", "The send time has no time zone — pick it again")
        elif send_at < now + SCHEDULE_MARGIN:
            yield FieldError(
                "send_at",
                "The send time is not in the future — pick a time at least a minute from "
                "now, or send now",
            )
        elif caps.max_schedule_days is not None and send_at - now > timedelta(
            days=caps.max_schedule_days
        ):
            latest = (now + timedelta(days=caps.max_schedule_days)).astimezone(UTC)
            yield FieldError(
                "send_at",
                f"{caps.display_name} schedules at most {caps.max_schedule_days} days ahead — "
                f"pick a time before {latest:%d %b %Y %H:%M} UTC",
            )
        else:
            send_at_ok = True
    if expire_at is None:
        return
    if not caps.expiry:
        yield FieldError(
            "expire_at",
            f"{caps.display_name} cannot expire messages — clear the expiry time or pick "
            "another account",
        )
    elif not _is_aware(expire_at):
        yield FieldError("expire_at", "The expiry time has no time zone — pick it again")
    elif expire_at <= now:
        yield FieldError("expire_at", "The expiry time has passed — pick a later one or clear it")
    elif send_at_ok and send_at is not None and expire_at <= send_at:
        yield FieldError(
            "expire_at",
            "The message would expire before it is sent — pick an expiry time after the send time",
        )


def _check_references(message: Message, caps: Capabilities) -> Iterable[FieldError]:
    reference = message.client_reference
    if has_line_break(reference):
        yield _injection("client_reference", "The client reference")
    if len(reference) > MAX_CLIENT_REFERENCE_CHARS:
        yield FieldError(
            "client_reference",
            f"The client reference is {len(reference)} characters long; at most "
            f"{MAX_CLIENT_REFERENCE_CHARS} are allowed — shorten it or leave it empty",
        )
    url = message.callback_url
    if url:
        if not caps.callbacks:
            yield FieldError(
                "callback_url",
                f"Callbacks are not supported by {caps.display_name} — clear the callback "
                "URL or pick another account",
            )
        elif not _is_http_url(url):
            yield FieldError(
                "callback_url",
                f"{url!r} is not a web address — enter an http:// or https:// URL",
            )


# -- helpers -------------------------------------------------------------------------------------


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _is_http_url(url: str) -> bool:
    if has_line_break(url) or any(char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"


def errors_by_field(errors: Iterable[FieldError]) -> Mapping[str, list[str]]:
    """Group error messages by field, in the order they were found (for the window)."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        grouped.setdefault(error.field, []).append(error.message)
    return grouped


__all__ = [
    "MAX_CLIENT_REFERENCE_CHARS",
    "MAX_SUBJECT_CHARS",
    "RESERVED_HEADERS",
    "RESERVED_METADATA_KEYS",
    "SCHEDULE_MARGIN",
    "FieldError",
    "MessageInvalid",
    "ensure_valid",
    "errors_by_field",
    "has_line_break",
    "human_size",
    "validate_address",
    "validate_message",
]

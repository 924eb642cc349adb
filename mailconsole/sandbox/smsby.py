"""SMS.BY Email API v2 emulated under ``/smsby``: ``POST /api/v2/<method>``.

Parameters are read from the query string and from the body (form-urlencoded, multipart with
an ``attachment`` file, or JSON); the body wins. Bracketed names (``delivery_list[0]``,
``delivery_list[0][email]``, ``field_names[1]``, ``data[0][1]``, ``delivery_list[]``) are
nested into lists and objects.

Decisions where CONTRACT.md and the documentation are silent:

- Ids are integers: ``email_id`` counts up from 1234568, ``message_id`` (a mailing) from 1235,
  new list ids from 2 (list ``1`` is seeded with ``anna@example.com``, ``boris@example.com``
  and ``reader.vera@example.com``); ``sendBulkEmail``'s ``uuid`` is a version-1 UUID like the
  documented one. Delivery lists report ``email_id`` as strings, as documented.
- A wrong or missing ``token`` is 401 ``Invalid token``; a missing or malformed parameter 400
  with a text naming it; an unknown ``message_id``/``uuid``/``list_id`` 404; an unknown method
  404 ``Method not found``; a wrong HTTP method 405; a body over 25 MB 413; an unsupported
  content type or malformed JSON 400.
- The sender's domain must be verified (400 otherwise), as at the other providers.
- ``sendBulkEmail``: malformed addresses do not refuse the request; they are listed in
  ``statusBulkEmail``'s ``errors`` (``The recipient's email address is incorrect``). An empty
  ``delivery_list`` is 400. ``statusBulkEmail`` answers a one-item list (one mailing per uuid).
- Status words: ``NEW`` (queued or scheduled), ``SENT``, ``DELIVERED``, ``OPEN``, ``CLICK``,
  ``UNDELIVERED`` (bounce, with an SMTP error text), ``UNSUBSCRIBED``, ``SPAM``; there is no
  deferral word, so ``busy*`` stops at ``SENT`` (CONTRACT.md: the nearest earlier state).
- ``unsubscribeEmail`` without ``list_ids`` suppresses the address for every send; with
  ``list_ids`` only for ``sendEmailByList`` to those lists. A suppressed address is accepted and
  becomes ``UNSUBSCRIBED`` one second later without being sent. ``subscribeEmail`` without
  ``list_ids`` lifts every suppression of the address. ``list_ids`` naming lists that do not
  exist (yet) are kept as given, not refused.
- ``importContacts``: ``field_names`` must include ``email``; rows with a malformed address are
  counted ``invalid`` and logged; an address already in the list is ``updated``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from mailconsole.sandbox.common import (
    SANDBOX_KEYS,
    ApiError,
    ProviderApi,
    SandboxContext,
    is_email,
    is_json_type,
    is_verified,
    json_response,
)
from mailconsole.sandbox.lifecycle import build_plan
from mailconsole.sandbox.state import StoredMessage

KEY = SANDBOX_KEYS["smsby"]
ACCOUNT_TIME_ZONE = ZoneInfo("Europe/Minsk")
MAX_IMPORT_ROWS = 500
FIRST_EMAIL_ID = 1234568
FIRST_MESSAGE_ID = 1235

TEMPLATES: list[dict[str, Any]] = [
    {"id": 11, "title": "Template name"},
    {"id": 12, "title": "Name of the second template"},
]

SEEDED_LIST: dict[str, Any] = {
    "name": "Sandbox list",
    "contacts": {
        "anna@example.com": {"email": "anna@example.com", "name": "Anna"},
        "boris@example.com": {"email": "boris@example.com", "name": "Boris"},
        "reader.vera@example.com": {"email": "reader.vera@example.com", "name": "Vera"},
    },
}

STATUS_OF: dict[str, str | None] = {
    "queued": "NEW",
    "scheduled": "NEW",
    "sent": "SENT",
    "delivered": "DELIVERED",
    "opened": "OPEN",
    "clicked": "CLICK",
    "bounced": "UNDELIVERED",
    "unsubscribed": "UNSUBSCRIBED",
    "complained": "SPAM",
    "deferred": None,
    "expired": None,
    "cancelled": None,
}

BOUNCE_ERROR = "550 5.1.1 Mailbox does not exist"
BAD_ADDRESS = "The recipient's email address is incorrect"

STATUS_TEXTS: dict[int, str] = {
    400: "Bad request",
    401: "Invalid token",
    404: "Method not found",
    405: "Method not allowed",
    413: "Request body exceeds 25 MB",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service temporarily unavailable",
}

KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
PART_RE = re.compile(r"\[([^\[\]]*)\]")


def _bad(text: str) -> ApiError:
    return ApiError(400, text)


@dataclass(slots=True)
class Upload:
    """An uploaded ``attachment`` file: its name and size."""

    name: str
    size: int


def _collect(flat: dict[str, Any], pairs: Iterable[tuple[str, Any]]) -> None:
    """Add request parameters to ``flat`` (later ones win), numbering repeated ``name[]``
    fields (``delivery_list[]=a&delivery_list[]=b``) so that none is lost."""
    counts: dict[str, int] = {}
    for key, value in pairs:
        if key.endswith("[]"):
            base = key[:-2]
            index = counts.get(base, 0)
            counts[base] = index + 1
            key = f"{base}[{index}]"
        flat[key] = value


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"a[0][b]": 1}`` → ``{"a": [{"b": 1}]}``; plain names pass through."""
    root: dict[str, Any] = {}
    for key, value in flat.items():
        match = KEY_RE.match(key)
        if match is None or not match.group(2):
            root[key] = value
            continue
        parts = [match.group(1), *PART_RE.findall(match.group(2))]
        node: dict[str, Any] = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return {key: _listify(value) for key, value in root.items()}


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isascii() and k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


class SmsBy(ProviderApi):
    """The SMS.BY Email API v2."""

    name = "smsby"
    accept_paths = frozenset(
        {"/api/v2/sendEmail", "/api/v2/sendEmailByList", "/api/v2/sendBulkEmail"}
    )

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        self.counters: dict[str, int] = {}
        self.lists: dict[int, dict[str, Any]] = {}
        self.mailings: dict[int, dict[str, Any]] = {}
        self.bulk: dict[str, int] = {}
        self.unsubscribed: dict[str, list[str]] = {}
        self._seed()

    def add_routes(self, app: web.Application) -> None:
        methods = {
            "sendEmail": self.send_email,
            "sendEmailByList": self.send_email_by_list,
            "getEmailDeliveryList": self.get_email_delivery_list,
            "sendBulkEmail": self.send_bulk_email,
            "statusBulkEmail": self.status_bulk_email,
            "unsubscribeEmail": self.unsubscribe_email,
            "subscribeEmail": self.subscribe_email,
            "getEmailTemplates": self.get_email_templates,
            "createSubscriberList": self.create_subscriber_list,
            "importContacts": self.import_contacts,
        }
        for method, handler in methods.items():
            app.router.add_post(f"/api/v2/{method}", self._wrap(handler))

    def error_body(self, status: int, message: Any, code: str | None) -> Any:
        return {"status": "ERROR", "error": str(message)}

    def status_text(self, status: int) -> tuple[str, str | None]:
        return STATUS_TEXTS.get(status, "Error"), None

    def _seed(self) -> None:
        self.counters = {"email": FIRST_EMAIL_ID, "message": FIRST_MESSAGE_ID, "list": 2}
        self.lists = {1: json.loads(json.dumps(SEEDED_LIST))}
        self.mailings = {}
        self.bulk = {}
        self.unsubscribed = {}

    def reset(self) -> None:
        self._seed()
        self.ctx.put("sms_list", "1", self.lists[1])

    def restore(self) -> None:
        for name, value in self.ctx.load("sms_counter").items():
            self.counters[name] = int(value)
        for key, value in self.ctx.load("sms_list").items():
            self.lists[int(key)] = value
        for key, value in self.ctx.load("sms_mailing").items():
            self.mailings[int(key)] = value
        for key, value in self.ctx.load("sms_bulk").items():
            self.bulk[key] = int(value)
        self.unsubscribed.update(self.ctx.load("sms_unsub"))

    # -- plumbing -------------------------------------------------------------------------

    def _wrap(self, handler: Any) -> Any:
        async def run(request: web.Request) -> web.Response:
            params = await self._params(request)
            token = params.get("token")
            if not isinstance(token, str) or token.strip() != KEY:
                raise ApiError(401, "Invalid token")
            result = await handler(params)
            return json_response(result)

        return run

    async def _params(self, request: web.Request) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        _collect(flat, request.query.items())
        content_type = request.content_type
        if is_json_type(content_type):
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except (ValueError, RecursionError):
                    raise _bad("Request body is not valid JSON") from None
                if not isinstance(body, dict):
                    raise _bad("Request body must be a JSON object")
                nested = nest(flat)
                nested.update(body)
                return nested
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                form = await request.post()
            except web.HTTPException:
                raise
            except Exception:
                raise _bad("Request body is not valid form data") from None
            fields: list[tuple[str, Any]] = []
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    fields.append((key, Upload(value.filename or "attachment", len(data))))
                else:
                    fields.append((key, value))
            _collect(flat, fields)
        elif request.can_read_body:
            raw = await request.read()
            if raw.strip():
                raise _bad(
                    "Unsupported content type: use multipart/form-data, "
                    "application/x-www-form-urlencoded or application/json"
                )
        return nest(flat)

    @staticmethod
    def _text(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
        value = params.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise _bad(f"Parameter {name} is required")
            return None
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise _bad(f"Parameter {name} must be a string")
        return value

    def _int(self, params: dict[str, Any], name: str) -> int:
        value = self._text(params, name, required=True)
        assert value is not None
        try:
            return int(value)
        except ValueError:
            raise _bad(f"Parameter {name} must be a number") from None

    def _flag(self, params: dict[str, Any], name: str) -> bool:
        value = self._text(params, name)
        if value is None:
            return True
        if value.strip() not in ("0", "1"):
            raise _bad(f"Parameter {name} must be 0 or 1")
        return value.strip() == "1"

    def _sender(self, params: dict[str, Any]) -> tuple[str, str | None]:
        sender = self._text(params, "sender_email", required=True)
        assert sender is not None
        sender = sender.strip()
        if not is_email(sender):
            raise _bad("Parameter sender_email is not a valid email address")
        if not is_verified(sender):
            raise _bad(f"Sender domain {sender.rpartition('@')[2]} is not verified")
        return sender, self._text(params, "sender_name")

    def _schedule(self, params: dict[str, Any], now: float) -> float:
        """Seconds until ``d_schedule`` (0 when absent); 400 if malformed or in the past."""
        value = self._text(params, "d_schedule")
        if value is None:
            return 0.0
        try:
            moment = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise _bad("Parameter d_schedule must be in the format YYYY-MM-DD HH:MM") from None
        delay = moment.replace(tzinfo=ACCOUNT_TIME_ZONE).timestamp() - now
        if delay < 0:
            raise _bad("Parameter d_schedule is in the past")
        return delay

    @staticmethod
    def _attachment(params: dict[str, Any]) -> tuple[tuple[str, int], ...]:
        value = params.get("attachment")
        if value is None or value == "":
            return ()
        if not isinstance(value, Upload):
            raise _bad("Parameter attachment must be a file")
        return ((value.name, value.size),)

    def _next(self, counter: str) -> int:
        value = self.counters[counter]
        self.counters[counter] = value + 1
        self.ctx.put("sms_counter", counter, value + 1)
        return value

    def _suppressed(self, address: str, list_id: int | None = None) -> bool:
        lists = self.unsubscribed.get(address.lower())
        if not lists:
            return False
        return "*" in lists or (list_id is not None and str(list_id) in lists)

    def _message(
        self,
        address: str,
        *,
        sender: str,
        sender_name: str | None,
        subject: str,
        body: str,
        attachments: tuple[tuple[str, int], ...],
        now: float,
        delay: float,
        opens: bool,
        clicks: bool,
        list_id: int | None = None,
        mailing: int | None = None,
    ) -> StoredMessage:
        extra: dict[str, Any] = {}
        if sender_name:
            extra["sender_name"] = sender_name
        if mailing is not None:
            extra["message_id"] = mailing
        return StoredMessage(
            provider=self.name,
            id=str(self._next("email")),
            sender=sender,
            to=(address,),
            subject=subject,
            html=body,
            text=None,
            attachments=attachments,
            accepted_at=now,
            plan=build_plan(
                self.ctx.clock,
                address,
                delay=delay,
                opens=opens,
                clicks=clicks,
                suppressed=self._suppressed(address, list_id),
            ),
            extra=extra or None,
        )

    def delivery_status(self, message: StoredMessage, now: float) -> str:
        status = "NEW"
        for event in message.events(now):
            word = STATUS_OF.get(event.code)
            if word is not None:
                status = word
        return status

    def _save_mailing(self, mailing_id: int) -> None:
        self.ctx.put("sms_mailing", str(mailing_id), self.mailings[mailing_id])

    # -- methods --------------------------------------------------------------------------

    async def send_email(self, params: dict[str, Any]) -> dict[str, Any]:
        sender, sender_name = self._sender(params)
        subject = self._text(params, "subject", required=True)
        body = self._text(params, "message", required=True)
        address = self._text(params, "email", required=True)
        assert subject is not None and body is not None and address is not None
        address = address.strip()
        if not is_email(address):
            raise _bad("Parameter email is not a valid email address")
        opens, clicks = self._flag(params, "track_open"), self._flag(params, "track_click")
        now = self.ctx.clock.now()
        delay = self._schedule(params, now)
        message = self._message(
            address,
            sender=sender,
            sender_name=sender_name,
            subject=subject,
            body=body,
            attachments=self._attachment(params),
            now=now,
            delay=delay,
            opens=opens,
            clicks=clicks,
        )
        self.ctx.store.add(message)
        return {"status": "OK", "result": {"email_id": int(message.id)}}

    async def send_email_by_list(self, params: dict[str, Any]) -> dict[str, Any]:
        list_id = self._int(params, "list_id")
        sender, sender_name = self._sender(params)
        subject = self._text(params, "subject", required=True)
        body = self._text(params, "message", required=True)
        assert subject is not None and body is not None
        opens, clicks = self._flag(params, "track_open"), self._flag(params, "track_click")
        now = self.ctx.clock.now()
        delay = self._schedule(params, now)
        attachments = self._attachment(params)
        mailing_list = self.lists.get(list_id)
        if mailing_list is None:
            raise ApiError(404, f"List {list_id} not found")
        mailing_id = self._next("message")
        messages = [
            self._message(
                contact["email"],
                sender=sender,
                sender_name=sender_name,
                subject=subject,
                body=body,
                attachments=attachments,
                now=now,
                delay=delay,
                opens=opens,
                clicks=clicks,
                list_id=list_id,
                mailing=mailing_id,
            )
            for contact in mailing_list["contacts"].values()
        ]
        self.ctx.store.add_many(messages)
        self.mailings[mailing_id] = {
            "name": self._text(params, "name") or f"Mailing {mailing_id}",
            "sender_email": sender,
            "sender_name": sender_name or "",
            "email_ids": [m.id for m in messages],
            "errors": [],
        }
        self._save_mailing(mailing_id)
        return {"status": "OK", "result": {"message_id": mailing_id, "count_emails": len(messages)}}

    async def get_email_delivery_list(self, params: dict[str, Any]) -> dict[str, Any]:
        mailing_id = self._int(params, "message_id")
        mailing = self.mailings.get(mailing_id)
        if mailing is None:
            raise ApiError(404, f"Message {mailing_id} not found")
        now = self.ctx.clock.now()
        result = []
        for email_id in mailing["email_ids"]:
            message = self.ctx.store.get(self.name, email_id)
            if message is None:
                continue
            status = self.delivery_status(message, now)
            result.append(
                {
                    "email_id": message.id,
                    "email": message.to[0],
                    "status": status,
                    "error": BOUNCE_ERROR if status == "UNDELIVERED" else "",
                }
            )
        return {"status": "OK", "result": result}

    async def send_bulk_email(self, params: dict[str, Any]) -> dict[str, Any]:
        message_type = (self._text(params, "message_type") or "bulk").strip()
        if message_type not in ("bulk", "personal"):
            raise _bad("Parameter message_type must be bulk or personal")
        sender, sender_name = self._sender(params)
        subject = self._text(params, "subject", required=message_type == "bulk")
        body = self._text(params, "message", required=message_type == "bulk")
        entries = params.get("delivery_list")
        if isinstance(entries, str) and entries.strip().startswith("["):
            try:
                entries = json.loads(entries)
            except ValueError:
                raise _bad("Parameter delivery_list is malformed") from None
        if isinstance(entries, dict):
            entries = list(entries.values())
        if not isinstance(entries, list) or not entries:
            raise _bad("Parameter delivery_list is required")
        items: list[tuple[str, str, str]] = []
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                address = entry.get("email")
                item_subject = entry.get("subject", subject)
                item_body = entry.get("message", body)
            else:
                address, item_subject, item_body = entry, subject, body
            for name, value in (
                ("email", address),
                ("subject", item_subject),
                ("message", item_body),
            ):
                if not isinstance(value, str) or not value:
                    raise _bad(f"Parameter delivery_list[{index}][{name}] is required")
            assert isinstance(address, str) and isinstance(item_subject, str)
            assert isinstance(item_body, str)
            items.append((address.strip(), item_subject, item_body))
        opens, clicks = self._flag(params, "track_open"), self._flag(params, "track_click")
        now = self.ctx.clock.now()
        delay = self._schedule(params, now)
        mailing_id = self._next("message")
        messages: list[StoredMessage] = []
        errors: list[dict[str, str]] = []
        for address, item_subject, item_body in items:
            if not is_email(address):
                errors.append({"email": address, "error": BAD_ADDRESS})
                continue
            messages.append(
                self._message(
                    address,
                    sender=sender,
                    sender_name=sender_name,
                    subject=item_subject,
                    body=item_body,
                    attachments=(),
                    now=now,
                    delay=delay,
                    opens=opens,
                    clicks=clicks,
                    mailing=mailing_id,
                )
            )
        self.ctx.store.add_many(messages)
        bulk_uuid = str(uuid.uuid1(node=self.ctx.random.getrandbits(48) | (1 << 40)))
        self.mailings[mailing_id] = {
            "name": self._text(params, "name") or f"Mailing {mailing_id}",
            "sender_email": sender,
            "sender_name": sender_name or "",
            "email_ids": [m.id for m in messages],
            "errors": errors,
        }
        self._save_mailing(mailing_id)
        self.bulk[bulk_uuid] = mailing_id
        self.ctx.put("sms_bulk", bulk_uuid, mailing_id)
        return {"status": "OK", "result": {"uuid": bulk_uuid}}

    async def status_bulk_email(self, params: dict[str, Any]) -> dict[str, Any]:
        bulk_uuid = (self._text(params, "uuid", required=True) or "").strip()
        mailing_id = self.bulk.get(bulk_uuid)
        if mailing_id is None:
            raise ApiError(404, f"Mailing {bulk_uuid} not found")
        mailing = self.mailings[mailing_id]
        now = self.ctx.clock.now()
        success = []
        for email_id in mailing["email_ids"]:
            message = self.ctx.store.get(self.name, email_id)
            if message is None:
                continue
            status = self.delivery_status(message, now)
            success.append(
                {
                    "email_id": message.id,
                    "recipient": message.to[0],
                    "status": status,
                    "error": BOUNCE_ERROR if status == "UNDELIVERED" else None,
                }
            )
        return {
            "status": "OK",
            "result": [
                {
                    "message_id": str(mailing_id),
                    "name": mailing["name"],
                    "sender_email": mailing["sender_email"],
                    "sender_name": mailing["sender_name"],
                    "success": success,
                    "errors": mailing["errors"],
                }
            ],
        }

    def _list_ids(self, params: dict[str, Any]) -> list[str]:
        raw = self._text(params, "list_ids")
        if raw is None:
            return ["*"]
        ids: list[str] = []
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            if not (part.isascii() and part.isdigit()):
                raise _bad("Parameter list_ids must be comma-separated list ids")
            ids.append(str(int(part)))
        return ids or ["*"]

    def _address(self, params: dict[str, Any]) -> str:
        address = (self._text(params, "email", required=True) or "").strip()
        if not is_email(address):
            raise _bad("Parameter email is not a valid email address")
        return address.lower()

    async def unsubscribe_email(self, params: dict[str, Any]) -> dict[str, Any]:
        address = self._address(params)
        ids = self._list_ids(params)
        reason = self._text(params, "reason")
        current = set(self.unsubscribed.get(address, []))
        current.update(ids)
        self.unsubscribed[address] = sorted(current)
        self.ctx.put("sms_unsub", address, self.unsubscribed[address])
        if reason:
            self.ctx.put("sms_unsub_reason", address, reason)
        return {"status": "OK"}

    async def subscribe_email(self, params: dict[str, Any]) -> dict[str, Any]:
        address = self._address(params)
        ids = self._list_ids(params)
        if ids == ["*"]:
            self.unsubscribed.pop(address, None)
        else:
            remaining = [i for i in self.unsubscribed.get(address, []) if i not in ids]
            if remaining:
                self.unsubscribed[address] = remaining
            else:
                self.unsubscribed.pop(address, None)
        if address in self.unsubscribed:
            self.ctx.put("sms_unsub", address, self.unsubscribed[address])
        else:
            self.ctx.delete("sms_unsub", address)
        return {"status": "OK"}

    async def get_email_templates(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"status": "OK", "result": [dict(t) for t in TEMPLATES]}

    async def create_subscriber_list(self, params: dict[str, Any]) -> dict[str, Any]:
        name = (self._text(params, "name", required=True) or "").strip()
        list_id = self._next("list")
        self.lists[list_id] = {"name": name, "contacts": {}}
        self.ctx.put("sms_list", str(list_id), self.lists[list_id])
        return {"status": "OK", "result": {"list_id": list_id}}

    async def import_contacts(self, params: dict[str, Any]) -> dict[str, Any]:
        list_id = self._int(params, "list_id")
        fields = params.get("field_names")
        rows = params.get("data")
        if isinstance(fields, dict):
            fields = list(fields.values())
        if isinstance(rows, dict):
            rows = list(rows.values())
        if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
            raise _bad("Parameter field_names is required (field_names[0], field_names[1], ...)")
        if "email" not in fields:
            raise _bad("Parameter field_names must include email")
        if not isinstance(rows, list) or not rows:
            raise _bad("Parameter data is required (data[0][0], data[0][1], ...)")
        if len(rows) > MAX_IMPORT_ROWS:
            raise _bad(f"At most {MAX_IMPORT_ROWS} contacts per call")
        mailing_list = self.lists.get(list_id)
        if mailing_list is None:
            raise ApiError(404, f"List {list_id} not found")
        inserted = updated = invalid = 0
        log: list[dict[str, Any]] = []
        contacts: dict[str, Any] = mailing_list["contacts"]
        for index, row in enumerate(rows):
            if isinstance(row, dict):
                row = list(row.values())
            if not isinstance(row, list):
                invalid += 1
                log.append({"index": index, "error_message": "Row must be a list of values"})
                continue
            values = [v if isinstance(v, str) else json.dumps(v) for v in row]
            contact = dict(zip(fields, values, strict=False))
            address = contact.get("email", "").strip()
            if not is_email(address):
                invalid += 1
                log.append({"index": index, "error_message": "Invalid email address"})
                continue
            contact["email"] = address
            if address.lower() in contacts:
                updated += 1
                contacts[address.lower()].update(contact)
            else:
                inserted += 1
                contacts[address.lower()] = contact
        self.ctx.put("sms_list", str(list_id), mailing_list)
        return {
            "status": "OK",
            "result": {"inserted": inserted, "updated": updated, "invalid": invalid, "log": log},
        }

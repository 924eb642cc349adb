"""Every request example of the four published documents, as written, with its documented answer.

Placeholders are filled: EmailMassivo's ``idTemplateMailUser: number`` is the seeded template
``1``; ``{message_id}``, ``{uuid}``, ``{tracking_id}`` and ``{event_id}`` come from a preparing
request (``setup``). Dates the documents give in the past (``2024-12-31 12:00``,
``2024-12-25T09:00:00Z``) are moved a week into the future — CONTRACT.md refuses past times with
400 (and MailingAPI more than 30 days ahead). SMS.BY's documented ``token: 'eyJpdiI6Ij...'`` is
the sandbox token; a parameter table without an example becomes a request with every required
parameter. Sender domains are those of the documents (yourdomain.com, test.com, example.com).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox_helpers import EM_HEADERS, EN_HEADERS, MA_HEADERS, SMS_TOKEN, Exact

_WEEK = datetime.now(UTC) + timedelta(days=7)
SCHEDULED_AT = _WEEK.strftime("%Y-%m-%dT09:00:00Z")
D_SCHEDULE = _WEEK.astimezone(ZoneInfo("Europe/Minsk")).strftime("%Y-%m-%d 12:00")


@dataclass(frozen=True)
class DocExample:
    """One documented request and the shape of its documented answer."""

    id: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] | None = None
    query: dict[str, str] | None = None
    status: int = 200
    shape: Any = None
    setup: str | None = None


# -- EmailMassivo (000) ------------------------------------------------------------------------

_EM_PARTY = {"email": "user@example.com", "name": "string"}

EMAILMASSIVO = [
    DocExample(
        id="emailmassivo-send",
        method="POST",
        path="/emailmassivo/api/v1/external-mails/send",
        headers=EM_HEADERS,
        json={
            "idempotencyKey": "unique-key-string",
            "mail": {
                "to": _EM_PARTY,
                "from": _EM_PARTY,
                "subject": "string",
                "previewTitle": "string",
                "headers": {},
                "cc": "string",
                "bcc": "string",
                "html": "string",
                "text": "string",
            },
        },
        status=201,
        # cc/bcc "string" are not addresses: each is reported with an error.
        shape={"uuid": str, "additionalRecipients": [{"email": "string", "error": str}]},
    ),
    DocExample(
        # The PHP, Python, Node.js and JavaScript examples all send this same body.
        id="emailmassivo-send-by-template",
        method="POST",
        path="/emailmassivo/api/v1/external-mails/send-by-template",
        headers=EM_HEADERS,
        json={
            "idempotencyKey": "unique-key-string",
            "mail": {
                "to": _EM_PARTY,
                "from": _EM_PARTY,
                "subject": "string",
                "previewTitle": "string",
                "idTemplateMailUser": 1,
                "params": {"test": "string", "test1": "string", "test2": "string"},
            },
        },
        status=201,
        shape={"uuid": str},
    ),
]

# -- SMS.BY (001) -----------------------------------------------------------------------------

SMSBY = [
    DocExample(
        id="smsby-sendEmail",
        method="POST",
        path="/smsby/api/v2/sendEmail",
        form={
            "token": SMS_TOKEN,
            "sender_email": "from@test.com",
            "sender_name": "SENDER",
            "subject": "Letter Heading",
            "message": "Letter",
            "email": "email1@mail.com",
            "track_open": "1",
            "track_click": "1",
        },
        shape={"status": "OK", "result": {"email_id": int}},
    ),
    DocExample(
        id="smsby-sendEmailByList",
        method="POST",
        path="/smsby/api/v2/sendEmailByList",
        form={
            "token": SMS_TOKEN,
            "name": "Newsletter №1",
            "list_id": "1",
            "sender_email": "from@test.com",
            "sender_name": "SENDER",
            "subject": "Letter Heading",
            "message": "Letter",
        },
        shape={"status": "OK", "result": {"message_id": int, "count_emails": 3}},
    ),
    DocExample(
        id="smsby-getEmailDeliveryList",
        method="POST",
        path="/smsby/api/v2/getEmailDeliveryList",
        form={"token": SMS_TOKEN, "message_id": "{message_id}"},
        shape={
            "status": "OK",
            "result": [{"email_id": str, "email": str, "status": str, "error": str}],
        },
        setup="sms_mailing",
    ),
    DocExample(
        id="smsby-sendBulkEmail-bulk",
        method="POST",
        path="/smsby/api/v2/sendBulkEmail",
        json={
            "token": SMS_TOKEN,
            "name": "Newsletter №1",
            "sender_email": "from@test.com",
            "sender_name": "SENDER",
            "message_type": "bulk",
            "subject": "Letter Heading",
            "message": "Letter",
            "d_schedule": D_SCHEDULE,
            "track_open": "1",
            "track_click": "1",
            "delivery_list": ["email1@mail.com", "email2@mail.com"],
        },
        shape={"status": "OK", "result": {"uuid": str}},
    ),
    DocExample(
        id="smsby-sendBulkEmail-personal",
        method="POST",
        path="/smsby/api/v2/sendBulkEmail",
        json={
            "token": SMS_TOKEN,
            "name": "Newsletter №2",
            "sender_email": "from@test.com",
            "sender_name": "SENDER",
            "message_type": "personal",
            "d_schedule": D_SCHEDULE,
            "track_open": "1",
            "track_click": "1",
            "delivery_list": [
                {"email": "email1@mail.com", "subject": "Letter Heading 1", "message": "Letter 1"},
                {"email": "email2@mail.com", "subject": "Letter Heading 2", "message": "Letter 2"},
            ],
        },
        shape={"status": "OK", "result": {"uuid": str}},
    ),
    DocExample(
        # The parameter table's form encoding: delivery_list[0], delivery_list[1].
        id="smsby-sendBulkEmail-form",
        method="POST",
        path="/smsby/api/v2/sendBulkEmail",
        form={
            "token": SMS_TOKEN,
            "sender_email": "from@test.com",
            "subject": "Letter Heading",
            "message": "Letter",
            "delivery_list[0]": "email1@mail.com",
            "delivery_list[1]": "email2@mail.com",
        },
        shape={"status": "OK", "result": {"uuid": str}},
    ),
    DocExample(
        id="smsby-statusBulkEmail",
        method="POST",
        path="/smsby/api/v2/statusBulkEmail",
        form={"token": SMS_TOKEN, "uuid": "{uuid}"},
        shape={
            "status": "OK",
            "result": [
                {
                    "message_id": str,
                    "name": str,
                    "sender_email": "from@test.com",
                    "sender_name": "SENDER",
                    "success": [{"email_id": str, "recipient": str, "status": str, "error": None}],
                    "errors": [{"email": "email3@mail", "error": str}],
                }
            ],
        },
        setup="sms_bulk",
    ),
    DocExample(
        id="smsby-unsubscribeEmail",
        method="POST",
        path="/smsby/api/v2/unsubscribeEmail",
        form={"token": SMS_TOKEN, "email": "email1@mail.com", "list_ids": "1", "reason": "x"},
        shape={"status": "OK"},
    ),
    DocExample(
        id="smsby-subscribeEmail",
        method="POST",
        path="/smsby/api/v2/subscribeEmail",
        form={"token": SMS_TOKEN, "email": "email1@mail.com"},
        shape={"status": "OK"},
    ),
    DocExample(
        id="smsby-getEmailTemplates",
        method="POST",
        path="/smsby/api/v2/getEmailTemplates",
        query={"token": SMS_TOKEN},
        shape={
            "status": "OK",
            "result": Exact(
                [
                    {"id": 11, "title": "Template name"},
                    {"id": 12, "title": "Name of the second template"},
                ]
            ),
        },
    ),
    DocExample(
        id="smsby-createSubscriberList",
        method="POST",
        path="/smsby/api/v2/createSubscriberList",
        query={"token": SMS_TOKEN, "name": "Customers"},
        shape={"status": "OK", "result": {"list_id": int}},
    ),
    DocExample(
        id="smsby-importContacts",
        method="POST",
        path="/smsby/api/v2/importContacts",
        query={
            "token": SMS_TOKEN,
            "list_id": "1",
            "field_names[0]": "email",
            "field_names[1]": "name",
            "data[0][0]": "new@x.by",
            "data[0][1]": "New",
            "data[1][0]": "anna@example.com",
            "data[1][1]": "Anna",
            "data[2][0]": "not-an-address",
            "data[2][1]": "Broken",
        },
        shape={
            "status": "OK",
            "result": {
                "inserted": 1,
                "updated": 1,
                "invalid": 1,
                "log": [{"index": 2, "error_message": str}],
            },
        },
    ),
]

# -- MailingAPI (002) -------------------------------------------------------------------------

_MA_SENT = {
    "id": str,
    "message_id": str,
    "from": "hello@yourdomain.com",
    "to": str,
    "subject": str,
    "status": "queued",
    "tags": list,
    "metadata": dict,
    "created_at": str,
}
_MA_BATCH = {
    "data": {
        "total": 2,
        "queued": 2,
        "errors": 0,
        "messages": [{"index": int, "status": "queued", "id": str, "to": str}],
    }
}

MAILINGAPI = [
    DocExample(
        id="mailingapi-send",
        method="POST",
        path="/mailingapi/v1/messages/send",
        headers=MA_HEADERS,
        json={
            "from": "Your Company <hello@yourdomain.com>",
            "to": "John Doe <john@example.com>",
            "subject": "Your order has shipped",
            "html": (
                "<h1>Order Shipped</h1><p>Hi {{name}}, your order #{{order_id}} is on the way!</p>"
            ),
            "text": "Order Shipped\n\nHi {{name}}, your order #{{order_id}} is on the way!",
            "template_data": {"name": "John", "order_id": "12345"},
            "tags": ["transactional", "shipping"],
            "metadata": {"user_id": "usr_123", "order_id": "ord_456"},
        },
        shape={
            "data": {
                **_MA_SENT,
                "to": "john@example.com",
                "subject": "Your order has shipped",
                "tags": Exact(["transactional", "shipping"]),
                "metadata": {"user_id": "usr_123", "order_id": "ord_456"},
            }
        },
    ),
    DocExample(
        id="mailingapi-send-attachments",
        method="POST",
        path="/mailingapi/v1/messages/send",
        headers=MA_HEADERS,
        json={
            "from": "hello@yourdomain.com",
            "to": "user@example.com",
            "subject": "Your invoice",
            "html": '<p>Invoice attached.</p><img src="cid:logo">',
            "attachments": [
                {
                    "filename": "invoice.pdf",
                    "content": "base64-encoded-content",
                    "content_type": "application/pdf",
                },
                {
                    "filename": "logo.png",
                    "content": "base64-encoded-content",
                    "content_type": "image/png",
                    "content_id": "logo",
                },
            ],
        },
        shape={"data": _MA_SENT},
    ),
    DocExample(
        id="mailingapi-send-tracking",
        method="POST",
        path="/mailingapi/v1/messages/send",
        headers=MA_HEADERS,
        json={
            "from": "alerts@yourdomain.com",
            "to": "user@example.com",
            "subject": "New login detected",
            "html": "<p>A new login was detected on your account.</p>",
            "tracking": {"opens": False, "clicks": False},
        },
        shape={"data": {**_MA_SENT, "from": "alerts@yourdomain.com"}},
    ),
    DocExample(
        id="mailingapi-batch-recipient-variables",
        method="POST",
        path="/mailingapi/v1/messages/batch",
        headers=MA_HEADERS,
        json={
            "from": "hello@yourdomain.com",
            "subject": "Welcome, {{name}}!",
            "html": "<p>Hi {{name}}, your code is {{code}}.</p>",
            "recipient_variables": {
                "alice@example.com": {"name": "Alice", "code": "ABC123"},
                "bob@example.com": {"name": "Bob", "code": "XYZ789"},
            },
        },
        shape=_MA_BATCH,
    ),
    DocExample(
        id="mailingapi-batch-messages",
        method="POST",
        path="/mailingapi/v1/messages/batch",
        headers=MA_HEADERS,
        json={
            "messages": [
                {
                    "from": "hello@yourdomain.com",
                    "to": "alice@example.com",
                    "subject": "Your invoice",
                    "html": "<p>Invoice #001 attached.</p>",
                },
                {
                    "from": "hello@yourdomain.com",
                    "to": "bob@example.com",
                    "subject": "Your receipt",
                    "html": "<p>Receipt #002 attached.</p>",
                },
            ]
        },
        shape=_MA_BATCH,
    ),
    DocExample(
        id="mailingapi-get-message",
        method="GET",
        path="/mailingapi/v1/messages/{message_id}",
        headers=MA_HEADERS,
        shape={
            "data": {
                **_MA_SENT,
                "to": "john@example.com",
                "status": str,
                "sent_at": str,
                "delivered_at": str,
            }
        },
        setup="ma_delivered",
    ),
    DocExample(
        id="mailingapi-list",
        method="GET",
        path="/mailingapi/v1/messages",
        headers=MA_HEADERS,
        query={"status": "delivered", "since": "2024-01-01T00:00:00Z", "limit": "50"},
        shape={
            "data": [
                {
                    "id": str,
                    "from": str,
                    "to": str,
                    "subject": str,
                    "status": "delivered",
                    "created_at": str,
                }
            ],
            "meta": {"count": 1, "total": 1, "limit": 50, "offset": 0, "has_more": False},
        },
        setup="ma_delivered",
    ),
    DocExample(
        id="mailingapi-analyze",
        method="POST",
        path="/mailingapi/v1/messages/analyze",
        headers=MA_HEADERS,
        json={
            "from": "hello@yourdomain.com",
            "to": "user@example.com",
            "subject": "Test email",
            "html": "<p>Content here</p>",
        },
        # The documented answer, value for value.
        shape={
            "data": {
                "score": 85,
                "grade": "good",
                "issues_count": 1,
                "critical_count": 0,
                "high_count": 0,
                "medium_count": 1,
                "low_count": 0,
                "can_send": True,
                "recommendations": ["Consider adding a text version for better deliverability"],
                "issues": [
                    {
                        "type": "content",
                        "subtype": "missing_text",
                        "severity": "medium",
                        "detail": "No plain text version",
                        "penalty": 5,
                    }
                ],
            }
        },
    ),
    DocExample(
        id="mailingapi-schedule",
        method="POST",
        path="/mailingapi/v1/messages/send",
        headers=MA_HEADERS,
        json={
            "from": "hello@yourdomain.com",
            "to": "user@example.com",
            "subject": "Holiday greeting",
            "html": "<p>Happy holidays!</p>",
            "scheduled_at": SCHEDULED_AT,
        },
        shape={"data": {**_MA_SENT, "status": "scheduled", "to": "user@example.com"}},
    ),
    DocExample(
        id="mailingapi-list-scheduled",
        method="GET",
        path="/mailingapi/v1/messages/scheduled",
        headers=MA_HEADERS,
        shape={
            "data": [
                {
                    "id": str,
                    "to": "user@example.com",
                    "subject": "Holiday greeting",
                    "scheduled_at": str,
                    "status": "scheduled",
                }
            ]
        },
        setup="ma_scheduled",
    ),
    DocExample(
        id="mailingapi-cancel",
        method="DELETE",
        path="/mailingapi/v1/messages/{message_id}/schedule",
        headers=MA_HEADERS,
        shape={"data": {"id": str, "status": "cancelled", "created_at": str}},
        setup="ma_scheduled",
    ),
    DocExample(
        id="mailingapi-events",
        method="GET",
        path="/mailingapi/v1/messages/{message_id}/events",
        headers=MA_HEADERS,
        shape={
            "data": [
                {
                    "id": str,
                    "type": ("queued", "sent", "delivered"),
                    "timestamp": str,
                    "metadata": dict,
                }
            ]
        },
        setup="ma_delivered",
    ),
]

# -- eMsgNow (003) ----------------------------------------------------------------------------

_EN_EVENT: dict[str, Any] = {
    "id": str,
    "message": {
        "channel": "email",
        "trackingId": str,
        "clientId": str,
        "status": str,
        "statusAt": str,
        "additionalInfo": dict,
    },
    "timestamp": str,
}

EMSGNOW = [
    DocExample(
        id="emsgnow-send",
        method="POST",
        path="/emsgnow/email",
        headers=EN_HEADERS,
        json={
            "to": "recipient@example.com",
            "from": "sender@example.com",
            "subject": "Test Email",
            "message": "Hello, this is a test email message.",
        },
        shape={"message": "Email received successfully", "trackingId": str},
    ),
    DocExample(
        id="emsgnow-send-templated",
        method="POST",
        path="/emsgnow/email",
        headers=EN_HEADERS,
        json={
            "to": "recipient@example.com",
            "from": "sender@example.com",
            "templateId": "gPVTbWpwQHXgg8KSZ6sX",
            "clientId": "23948729438slkdfjwkfjhsdfsdf",
            "variables": {"name": "Jane Doe", "time": "10:49pm"},
        },
        shape={"message": "Email received successfully", "trackingId": str},
    ),
    DocExample(
        id="emsgnow-get-email",
        method="GET",
        path="/emsgnow/email/{tracking_id}",
        headers=EN_HEADERS,
        shape={
            "to": "recipient@example.com",
            "from": "sender@example.com",
            "subject": "Your appointment",
            "message": "Hello Jane Doe, see you at 10:49pm.",
            "clientId": "23948729438slkdfjwkfjhsdfsdf",
            "messageType": "email",
            "trackingId": str,
            "notBefore": None,
            "notAfter": None,
            "created": str,
            "updated": str,
            "events": [_EN_EVENT],
        },
        setup="en_sent",
    ),
    DocExample(
        id="emsgnow-get-events",
        method="GET",
        path="/emsgnow/email/{tracking_id}/events",
        headers=EN_HEADERS,
        shape={"messageId": str, "events": [_EN_EVENT]},
        setup="en_sent",
    ),
    DocExample(
        id="emsgnow-get-event",
        method="GET",
        path="/emsgnow/email/{tracking_id}/events/{event_id}",
        headers=EN_HEADERS,
        shape={
            "messageId": str,
            **_EN_EVENT,
            "message": {**_EN_EVENT["message"], "status": "processing"},
        },
        setup="en_sent",
    ),
]

ALL_EXAMPLES: list[DocExample] = EMAILMASSIVO + SMSBY + MAILINGAPI + EMSGNOW

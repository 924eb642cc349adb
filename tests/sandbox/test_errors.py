"""Every error case CONTRACT.md names, triggered and answered as it says, in each provider's shape.

Bad requests never answer 500: malformed JSON, wrong content types, wrong types, missing fields,
bodies over 25 MB, unknown paths and methods all get a 4xx in the provider's own error shape.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sandbox_helpers import (
    EM_HEADERS,
    EM_SEND,
    EM_TEMPLATE,
    EN_HEADERS,
    MA,
    MA_HEADERS,
    SMS,
    SMS_TOKEN,
    em_mail,
    en_message,
    ma_message,
    matches,
)

MB = 1024 * 1024


def b64(size: int) -> str:
    return base64.b64encode(b"\0" * size).decode()


def iso_in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Case:
    id: str
    method: str
    path: str
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    data: dict[str, str] | None = None
    params: dict[str, str] | None = None


def em(case_id: str, status: int, message: Any, **kwargs: Any) -> Case:
    kwargs.setdefault("headers", EM_HEADERS)
    path = kwargs.pop("path", EM_SEND)
    method = kwargs.pop("method", "POST")
    return Case(case_id, method, path, status, {"statusCode": status, "message": message}, **kwargs)


def em_body(**mail: Any) -> dict[str, Any]:
    return {"mail": em_mail(**mail)}


def em_attach(*items: dict[str, str]) -> dict[str, Any]:
    return em_body(attachments=list(items))


JSON_TEXT = {"Content-Type": "application/json"}

EMAILMASSIVO = [
    em("no-key", 401, "Invalid API key", headers={}, json=em_body()),
    em("blank-key", 401, "Invalid API key", headers={"X-Api-Key": ""}, json=em_body()),
    em("unknown-key", 404, "ExternalMailApiKey not found", headers={"X-Api-Key": "nope"}),
    em(
        "inactive-key",
        403,
        "API key is not active",
        headers={"X-Api-Key": "sandbox-emailmassivo-inactive"},
        json=em_body(),
    ),
    em(
        "empty-balance",
        402,
        "Not enough resources on the user balance",
        headers={"X-Api-Key": "sandbox-emailmassivo-empty"},
        json=em_body(),
    ),
    em(
        "unverified-domain",
        404,
        "User Domain not found",
        json=em_body(**{"from": {"email": "me@unverified.org"}}),
    ),
    em(
        "unknown-template",
        404,
        "TemplateMailUser not found by id",
        path=EM_TEMPLATE,
        json={"mail": em_mail(html=None, idTemplateMailUser=999, params={})},
    ),
    em(
        "attachments-too-large",
        400,
        "Attachments size more than allowed",
        json=em_attach({"a.bin": b64(6 * MB)}, {"b.bin": b64(4 * MB + 1)}),
    ),
    em(
        "attachments-forbidden",
        400,
        "Attachments type forbidden",
        json=em_attach({"x.exe": "TVo="}),
    ),
    em("attachments-js", 400, "Attachments type forbidden", json=em_attach({"app.JS": "TVo="})),
    em("attachments-bad-base64", 400, "Attachments parse failed", json=em_attach({"a.pdf": "%%%"})),
    em("attachments-not-a-list", 400, "Attachments parse failed", json=em_body(attachments="x")),
    em(
        "unsubscribed",
        422,
        "Email receiver unsubscribed from this API key mails",
        json=em_body(to={"email": "unsubscribed@example.com"}),
    ),
    em(
        "nobody",
        422,
        "Email receiver doesn't exist",
        json=em_body(to={"email": "nobody@example.com"}),
    ),
    em(
        "busy",
        422,
        "Email receiver unavailable",
        json=em_body(to={"email": "busy.mx@example.com"}),
    ),
    em(
        "preview-title-too-long",
        400,
        ["mail.previewTitle must be shorter than or equal to 255 characters"],
        json=em_body(previewTitle="x" * 256),
    ),
    em("no-body", 400, ["mail.html or mail.text should not be empty"], json=em_body(html="")),
    em("subject-wrong-type", 400, ["mail.subject must be a string"], json=em_body(subject=5)),
    em("mail-missing", 400, ["mail should not be empty"], json={"idempotencyKey": "k"}),
    em("to-not-an-email", 400, ["mail.to.email must be an email"], json=em_body(to={"email": "x"})),
    em(
        "template-id-not-integer",
        400,
        ["mail.idTemplateMailUser must be an integer number"],
        path=EM_TEMPLATE,
        json={"mail": em_mail(html=None, idTemplateMailUser="1")},
    ),
    em("malformed-json", 400, str, headers={**EM_HEADERS, **JSON_TEXT}, content=b'{"mail": '),
    em(
        "wrong-content-type",
        400,
        str,
        headers={**EM_HEADERS, "Content-Type": "text/plain"},
        content=b'{"mail": {}}',
    ),
    em("body-not-object", 400, str, json=[1, 2]),
    em(
        "unknown-path",
        404,
        "Cannot POST /api/v1/external-mails/nope",
        path="/emailmassivo/api/v1/external-mails/nope",
        json={},
    ),
    em(
        "wrong-method",
        404,
        "Cannot GET /api/v1/external-mails/send",
        method="GET",
    ),
]


def ma(case_id: str, status: int, code: str, **kwargs: Any) -> Case:
    kwargs.setdefault("headers", MA_HEADERS)
    path = kwargs.pop("path", f"{MA}/send")
    method = kwargs.pop("method", "POST")
    body = {"error": {"code": code, "message": str}}
    return Case(case_id, method, path, status, body, **kwargs)


MAILINGAPI = [
    ma("no-key", 401, "unauthorized", headers={}, json=ma_message()),
    ma("wrong-key", 401, "unauthorized", headers={"Authorization": "Bearer ob_test_x"}),
    ma("domain-not-verified", 403, "domain_not_verified", json=ma_message(**{"from": "a@b.org"})),
    ma("from-malformed", 400, "invalid_from_address", json=ma_message(**{"from": "not mail"})),
    ma("from-missing", 400, "invalid_from_address", json=ma_message(**{"from": None})),
    ma("to-malformed", 400, "invalid_to_address", json=ma_message(to="nobody-at-all")),
    ma("to-missing", 400, "invalid_to_address", json=ma_message(to=None)),
    ma("cc-malformed", 400, "invalid_to_address", json=ma_message(cc=["ok@x.com", "bad"])),
    ma("missing-subject", 400, "missing_subject", json=ma_message(subject="")),
    ma("missing-body", 400, "missing_body", json=ma_message(html=None)),
    ma(
        "too-many-attachments",
        400,
        "too_many_attachments",
        json=ma_message(
            attachments=[{"filename": f"{i}.txt", "content": "eA=="} for i in range(11)]
        ),
    ),
    ma(
        "attachment-too-large",
        413,
        "attachment_too_large",
        json=ma_message(attachments=[{"filename": "big.bin", "content": b64(10 * MB + 1)}]),
    ),
    ma("invalid-template", 400, "invalid_template", json=ma_message(template_id="tmpl_nope")),
    ma("scheduled-in-past", 400, "invalid_scheduled_at", json=ma_message(scheduled_at=iso_in(-60))),
    ma(
        "scheduled-too-far",
        400,
        "invalid_scheduled_at",
        json=ma_message(scheduled_at=iso_in(31 * 86400)),
    ),
    ma("scheduled-garbage", 400, "invalid_scheduled_at", json=ma_message(scheduled_at="soon")),
    ma(
        "not-found",
        404,
        "not_found",
        method="GET",
        path=f"{MA}/00000000-0000-0000-0000-000000000000",
    ),
    ma(
        "events-not-found",
        404,
        "not_found",
        method="GET",
        path=f"{MA}/00000000-0000-0000-0000-000000000000/events",
    ),
    ma(
        "cancel-not-found",
        404,
        "not_found",
        method="DELETE",
        path=f"{MA}/00000000-0000-0000-0000-000000000000/schedule",
    ),
    ma("malformed-json", 400, "invalid_request", headers={**MA_HEADERS, **JSON_TEXT}, content=b"{"),
    ma(
        "wrong-content-type",
        400,
        "invalid_request",
        headers={**MA_HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
        content=b"from=a",
    ),
    ma("tags-wrong-type", 400, "invalid_request", json=ma_message(tags="x")),
    ma("metadata-wrong-type", 400, "invalid_request", json=ma_message(metadata=[1])),
    ma("tracking-wrong-type", 400, "invalid_request", json=ma_message(tracking={"opens": "no"})),
    ma("body-not-object", 400, "invalid_request", json="hello"),
    ma(
        "batch-too-large",
        400,
        "invalid_request",
        path=f"{MA}/batch",
        json={"messages": [ma_message() for _ in range(1001)]},
    ),
    ma("batch-neither-form", 400, "invalid_request", path=f"{MA}/batch", json={"from": "a@b.c"}),
    ma("list-bad-limit", 400, "invalid_request", method="GET", path=MA, params={"limit": "x"}),
    ma("list-bad-since", 400, "invalid_request", method="GET", path=MA, params={"since": "no"}),
    ma("unknown-path", 404, "not_found", path="/mailingapi/v1/nothing", json={}),
    ma("wrong-method", 405, "method_not_allowed", method="PUT", json={}),
]


def en(case_id: str, status: int, error: Any, **kwargs: Any) -> Case:
    kwargs.setdefault("headers", EN_HEADERS)
    path = kwargs.pop("path", "/emsgnow/email")
    method = kwargs.pop("method", "POST")
    return Case(case_id, method, path, status, {"error": error}, **kwargs)


EMSGNOW = [
    en("no-key", 401, "API key is required", headers={}, json=en_message()),
    en("blank-key", 401, "API key is required", headers={"x-api-key": ""}, json=en_message()),
    en("wrong-key", 403, "Invalid API key", headers={"x-api-key": "nope"}, json=en_message()),
    en("no-key-get", 401, "API key is required", headers={}, method="GET", path="/emsgnow/email/x"),
    en(
        "wrong-key-get",
        403,
        "Invalid API key",
        headers={"x-api-key": "x"},
        method="GET",
        path="/emsgnow/email/x",
    ),
    en("message-and-template", 400, str, json=en_message(templateId="gPVTbWpwQHXgg8KSZ6sX")),
    en("neither-message-nor-template", 400, str, json=en_message(message=None)),
    en("no-subject", 400, str, json=en_message(subject=None)),
    en("message-too-long", 400, str, json=en_message(message="x" * 25_001)),
    en("client-id-too-long", 400, str, json=en_message(clientId="c" * 101)),
    en(
        "not-after-before-not-before",
        400,
        str,
        json=en_message(notBefore=iso_in(3600), notAfter=iso_in(1800)),
    ),
    en("not-before-garbage", 400, str, json=en_message(notBefore="tomorrow")),
    en("not-before-no-zone", 400, str, json=en_message(notBefore="2030-01-01T00:00:00")),
    en("to-malformed", 400, str, json=en_message(to="x")),
    en("from-unverified", 400, str, json=en_message(**{"from": "me@unverified.org"})),
    en("to-wrong-type", 400, str, json=en_message(to=["a@example.com"])),
    en("variables-wrong-type", 400, str, json=en_message(variables=["x"])),
    en("unknown-template", 400, str, json=en_message(message=None, templateId="nope")),
    en("bad-callback", 400, str, json=en_message(callbackUrl="ftp://127.0.0.1/x")),
    en("message-type", 400, str, json=en_message(messageType="sms")),
    en("malformed-json", 400, str, headers={**EN_HEADERS, **JSON_TEXT}, content=b"{,}"),
    en(
        "wrong-content-type",
        400,
        str,
        headers={**EN_HEADERS, "Content-Type": "text/plain"},
        content=b"{}",
    ),
    en("unknown-email", 404, "Email not found", method="GET", path="/emsgnow/email/0000"),
    en(
        "unknown-email-events", 404, "Email not found", method="GET", path="/emsgnow/email/0/events"
    ),
    en("unknown-path", 404, str, method="GET", path="/emsgnow/emails"),
    en("wrong-method", 405, str, method="DELETE", path="/emsgnow/email"),
]


def sms(case_id: str, status: int, method: str, **kwargs: Any) -> Case:
    data = kwargs.pop("data", None)
    if data is not None:
        data = {"token": SMS_TOKEN, **data}
    return Case(
        case_id,
        kwargs.pop("http_method", "POST"),
        f"{SMS}/{method}",
        status,
        {"status": "ERROR", "error": str},
        data=data,
        **kwargs,
    )


SEND = {"sender_email": "from@test.com", "subject": "S", "message": "M", "email": "a@x.by"}

SMSBY = [
    sms("no-token", 401, "sendEmail", content=b"", params={}),
    sms("bad-token", 401, "sendEmail", data={**SEND, "token": "nope"}),
    sms("bad-token-query", 401, "getEmailTemplates", params={"token": "nope"}),
    sms("missing-email", 400, "sendEmail", data={k: v for k, v in SEND.items() if k != "email"}),
    sms("missing-subject", 400, "sendEmail", data={**SEND, "subject": ""}),
    sms("malformed-email", 400, "sendEmail", data={**SEND, "email": "x"}),
    sms("unverified-sender", 400, "sendEmail", data={**SEND, "sender_email": "a@b.org"}),
    sms("schedule-past", 400, "sendEmail", data={**SEND, "d_schedule": "2020-01-01 10:00"}),
    sms("schedule-garbage", 400, "sendEmail", data={**SEND, "d_schedule": "tomorrow"}),
    sms("track-open-2", 400, "sendEmail", data={**SEND, "track_open": "2"}),
    sms("attachment-not-file", 400, "sendEmail", data={**SEND, "attachment": "x"}),
    sms("bulk-empty-list", 400, "sendBulkEmail", data={**SEND}),
    sms(
        "bulk-bad-type",
        400,
        "sendBulkEmail",
        data={**SEND, "message_type": "x", "delivery_list[0]": "a@x.by"},
    ),
    sms("list-id-not-number", 400, "sendEmailByList", data={**SEND, "list_id": "x"}),
    sms("unknown-list", 404, "sendEmailByList", data={**SEND, "list_id": "987654"}),
    sms("unknown-message-id", 404, "getEmailDeliveryList", data={"message_id": "987654"}),
    sms("unknown-uuid", 404, "statusBulkEmail", data={"uuid": "00000000-0000-0000-0000-0"}),
    sms(
        "import-unknown-list",
        404,
        "importContacts",
        params={
            "token": SMS_TOKEN,
            "list_id": "987654",
            "field_names[0]": "email",
            "data[0][0]": "a@x.by",
        },
    ),
    sms(
        "import-too-many",
        400,
        "importContacts",
        json={
            "token": SMS_TOKEN,
            "list_id": "1",
            "field_names": ["email"],
            "data": [[f"u{i}@x.by"] for i in range(501)],
        },
    ),
    sms(
        "import-no-email-field", 400, "importContacts", data={"list_id": "1", "field_names[0]": "n"}
    ),
    sms("create-list-no-name", 400, "createSubscriberList", params={"token": SMS_TOKEN}),
    sms("unsubscribe-bad-email", 400, "unsubscribeEmail", data={"email": "x"}),
    sms(
        "malformed-json",
        400,
        "sendEmail",
        headers={"Content-Type": "application/json"},
        content=b'{"token": ',
    ),
    sms(
        "wrong-content-type", 400, "sendEmail", headers={"Content-Type": "text/plain"}, content=b"x"
    ),
    sms(
        "malformed-multipart",
        400,
        "sendEmail",
        headers={"Content-Type": "multipart/form-data; boundary=xx"},
        content=b"broken",
    ),
    sms(
        "multipart-no-boundary",
        400,
        "sendEmail",
        headers={"Content-Type": "multipart/form-data"},
        content=b"--xx\r\n",
    ),
    sms(
        "malformed-urlencoded",
        401,
        "sendEmail",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=b"%%%&&&=",
    ),
    sms("wrong-type-json", 400, "sendEmail", json={"token": SMS_TOKEN, **SEND, "subject": ["x"]}),
    sms("unknown-method", 404, "sendSms", data={}),
    sms("wrong-http-method", 405, "sendEmail", http_method="GET"),
]

ALL = [
    *(pytest.param(c, id=f"emailmassivo-{c.id}") for c in EMAILMASSIVO),
    *(pytest.param(c, id=f"mailingapi-{c.id}") for c in MAILINGAPI),
    *(pytest.param(c, id=f"emsgnow-{c.id}") for c in EMSGNOW),
    *(pytest.param(c, id=f"smsby-{c.id}") for c in SMSBY),
]


@pytest.mark.parametrize("case", ALL)
async def test_error_case_is_answered_in_the_provider_shape(
    http: httpx.AsyncClient, case: Case
) -> None:
    answer = await http.request(
        case.method,
        case.path,
        headers=case.headers,
        json=case.json,
        content=case.content,
        data=case.data,
        params=case.params,
    )
    assert answer.status_code == case.status, answer.text
    matches(answer.json(), case.body)
    assert await http.get("/_sandbox/messages") is not None


async def test_refused_requests_store_nothing(http: httpx.AsyncClient) -> None:
    for item in [*EMAILMASSIVO, *MAILINGAPI, *EMSGNOW, *SMSBY]:
        answer = await http.request(
            item.method,
            item.path,
            headers=item.headers,
            json=item.json,
            content=item.content,
            data=item.data,
            params=item.params,
        )
        assert answer.status_code >= 400
    await asyncio.sleep(0.1)
    assert (await http.get("/_sandbox/messages")).json() == []


OVERSIZED = 25 * MB + 1

TOO_LARGE = [
    ("emailmassivo", EM_SEND, EM_HEADERS, {"statusCode": 413, "message": str}),
    (
        "mailingapi",
        f"{MA}/send",
        MA_HEADERS,
        {"error": {"code": "request_too_large", "message": str}},
    ),
    ("emsgnow", "/emsgnow/email", EN_HEADERS, {"error": str}),
    ("smsby", f"{SMS}/sendEmail", {}, {"status": "ERROR", "error": str}),
]


@pytest.mark.parametrize(
    ("provider", "path", "headers", "shape"), TOO_LARGE, ids=[t[0] for t in TOO_LARGE]
)
async def test_a_body_over_25_mb_is_413_in_the_provider_shape(
    http: httpx.AsyncClient, provider: str, path: str, headers: dict[str, str], shape: Any
) -> None:
    content_type = (
        "application/json" if provider != "smsby" else "application/x-www-form-urlencoded"
    )
    body = b'{"x": "' + b"a" * OVERSIZED + b'"}'
    if provider == "smsby":
        body = b"token=" + SMS_TOKEN.encode() + b"&message=" + b"a" * OVERSIZED
    answer = await http.post(path, headers={**headers, "Content-Type": content_type}, content=body)
    assert answer.status_code == 413
    matches(answer.json(), shape)


async def test_a_body_just_under_the_limit_is_read(http: httpx.AsyncClient) -> None:
    body = b'{"x": "' + b"a" * (24 * MB) + b'"}'
    answer = await http.post(f"{MA}/send", headers={**MA_HEADERS, **JSON_TEXT}, content=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_from_address"


async def test_unknown_paths_outside_the_prefixes_are_plain_json_404(
    http: httpx.AsyncClient,
) -> None:
    for path in ("/", "/nothing", "/mailingapix/v1", "/_sandbox/nope"):
        answer = await http.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["Content-Type"].startswith("application/json")
        matches(answer.json(), {"error": str})


async def test_emsgnow_rate_headers_are_on_error_answers_too(http: httpx.AsyncClient) -> None:
    for headers, status in ((EN_HEADERS, 404), ({}, 401), ({"x-api-key": "x"}, 403)):
        answer = await http.get("/emsgnow/email/none", headers=headers)
        assert answer.status_code == status
        assert answer.headers["X-RateLimit-Limit"] == "120"
        assert int(answer.headers["X-RateLimit-Remaining"]) <= 120
        assert 0 <= int(answer.headers["X-RateLimit-Reset"]) <= 60


async def test_unicode_digits_in_a_placeholder_path_are_not_an_index(
    http: httpx.AsyncClient,
) -> None:
    body = ma_message(subject="s {{a.²}}", template_data={"a": [1]})
    answer = await http.post("/mailingapi/v1/messages/send", headers=MA_HEADERS, json=body)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "field, value",
    [
        ("notBefore", "9999-12-31T23:59:59-05:00"),
        ("notAfter", "0001-01-01T00:00:00+01:00"),
        ("notAfter", "9999-12-31T23:59:59-01:00"),
    ],
)
async def test_emsgnow_dates_outside_the_calendar_are_400(
    http: httpx.AsyncClient, field: str, value: str
) -> None:
    answer = await http.post(
        "/emsgnow/email", headers=EN_HEADERS, json=en_message(**{field: value})
    )
    assert answer.status_code == 400
    assert field in answer.json()["error"]


@pytest.mark.parametrize(
    "method, form",
    [
        ("sendBulkEmail", {"delivery_list[²]": "x@example.com"}),
        ("unsubscribeEmail", {"email": "x@example.com", "list_ids": "²"}),
    ],
)
async def test_smsby_unicode_digits_are_never_a_500(
    http: httpx.AsyncClient, method: str, form: dict[str, str]
) -> None:
    """``²`` passes ``str.isdigit`` but not ``int``: such names are no list index."""
    base = {
        "token": "sandbox-smsby",
        "sender_email": "from@test.com",
        "subject": "s",
        "message": "m",
    }
    answer = await http.post(f"/smsby/api/v2/{method}", data={**base, **form})
    assert answer.status_code in (200, 400), answer.text
    assert answer.json()["status"] == ("OK" if answer.status_code == 200 else "ERROR")


async def test_deeply_nested_fault_settings_are_a_400(http: httpx.AsyncClient) -> None:
    answer = await http.post("/_sandbox/faults", content=b"[" * 100_000)
    assert answer.status_code == 400
    assert "error" in answer.json()


async def test_smsby_repeated_list_fields_keep_every_recipient(http: httpx.AsyncClient) -> None:
    form = [
        ("token", "sandbox-smsby"),
        ("sender_email", "from@test.com"),
        ("subject", "s"),
        ("message", "m"),
        ("delivery_list[]", "x@example.com"),
        ("delivery_list[]", "y@example.com"),
    ]
    answer = await http.post(
        "/smsby/api/v2/sendBulkEmail",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    status = await http.post(
        "/smsby/api/v2/statusBulkEmail",
        data={"token": "sandbox-smsby", "uuid": answer.json()["result"]["uuid"]},
    )
    listed = [r["recipient"] for item in status.json()["result"] for r in item["success"]]
    assert sorted(listed) == ["x@example.com", "y@example.com"]

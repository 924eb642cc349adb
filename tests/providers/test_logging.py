"""No API key reaches a log, even where a provider takes it in the query string (SMS.BY)."""

from __future__ import annotations

import logging

import pytest

from mailconsole.providers import create
from mailconsole.sandbox import Sandbox


async def test_smsby_query_token_is_redacted_in_httpx_log(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with create(
        "smsby", api_key="sandbox-smsby", base_url=sandbox.base_url("smsby")
    ) as client:
        templates = await client.list_templates()
    assert templates, "the seeded SMS.BY templates should be listed"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "getEmailTemplates" in logged, "httpx should have logged the request"
    assert "token=***" in logged
    assert "sandbox-smsby" not in logged

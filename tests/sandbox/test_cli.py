"""``python -m mailconsole.sandbox`` as a real process, and the background-thread runner."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import MA, MA_HEADERS, ma_message

from mailconsole.sandbox import SANDBOX_KEYS, Sandbox, SandboxThread

ROOT = Path(__file__).resolve().parents[2]


def run_sandbox(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "mailconsole.sandbox", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_prints_urls_serves_and_stops_cleanly_on_sigint() -> None:
    process = run_sandbox("--port", "0", "--time-scale", "100")
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Press Ctrl+C"):
            line = process.stdout.readline()
            assert line, f"sandbox ended early: {process.stderr.read() if process.stderr else ''}"
            lines.append(line.rstrip("\n"))
        urls: dict[str, str] = {}
        for line in lines:
            match = re.match(r"^(\w+)\s+(http://127\.0\.0\.1:\d+/\w+)\s+key: (\S+)$", line)
            if match:
                urls[match.group(1)] = match.group(2)
                assert match.group(3) == SANDBOX_KEYS[match.group(1)]
        assert set(urls) == set(SANDBOX_KEYS)
        assert urls["mailingapi"].endswith("/mailingapi")
        answer = httpx.post(
            f"{urls['mailingapi']}/v1/messages/send", headers=MA_HEADERS, json=ma_message()
        )
        assert answer.status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
        assert "Traceback" not in err
        assert "sandbox stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_cli_stops_cleanly_on_sigterm() -> None:
    process = run_sandbox("--port", "0")
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Mail Console sandbox on http://127.0.0.1:")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_cli_refuses_a_non_loopback_host() -> None:
    process = run_sandbox("--host", "0.0.0.0", "--port", "0")
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "refusing to listen on non-loopback host" in err
    assert "--allow-non-loopback" in err
    assert out == ""


def test_sandbox_thread_serves_from_a_background_loop() -> None:
    runner = SandboxThread(port=0, time_scale=100)
    runner.start()
    try:
        assert runner.base_url("mailingapi") == f"{runner.url}/mailingapi"
        with httpx.Client(base_url=runner.url) as http:
            answer = http.post(f"{MA}/send", headers=MA_HEADERS, json=ma_message())
            assert answer.status_code == 200
        deadline = time.monotonic() + 5
        while not runner.messages() and time.monotonic() < deadline:
            time.sleep(0.01)
        (stored,) = runner.messages()
        assert stored["id"] == answer.json()["data"]["id"]
    finally:
        runner.stop()
    with httpx.Client() as http:
        try:
            http.get(runner.url, timeout=1)
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError("the sandbox still answers after stop()")


def test_in_process_sandbox_refuses_non_loopback() -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        Sandbox(host="0.0.0.0")

"""`mitrakia serve` as production runs it, with either server: it answers, and behind a proxy it sees the client's
address (X-Forwarded-For, trusted only from MITRAKIA_FORWARDED_ALLOW_IPS), which login throttling counts by."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.test_cli import MITRAKIA, cli_env, run

__all__ = ["cli_env"]  # the fixture, used below by name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _login(port: int, username: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=json.dumps({"username": username, "password": "wrong-password"}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_serve_answers_and_trusts_the_proxy_for_the_client_address(cli_env, server):
    if importlib.util.find_spec(server) is None:
        pytest.skip(f"{server} is not installed")
    assert run(cli_env, "migrate").returncode == 0
    port = _free_port()
    env = {**cli_env, "MITRAKIA_LOGIN_MAX_FAILURES_PER_IP": "2", "MITRAKIA_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    process = subprocess.Popen(
        [MITRAKIA, "serve", "--server", server, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, f"{server} exited"
                assert time.monotonic() < deadline, f"{server} did not answer within 60 s"
                time.sleep(0.2)
        # Two failures from one address behind the proxy: that address waits; another one does not.
        assert _login(port, "someone-1", "203.0.113.7") == 401
        assert _login(port, "someone-2", "203.0.113.7") == 429
        assert _login(port, "someone-3", "203.0.113.8") == 401
    finally:
        process.terminate()
        process.wait(timeout=30)

"""`mitrakia serve` as production runs it, with either server: it answers, and behind a proxy it sees the client's
address (X-Forwarded-For, trusted only from MITRAKIA_FORWARDED_ALLOW_IPS), which login throttling counts by; it
refuses a port another server holds, and outlives a killed worker."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_cli import MITRAKIA, run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(env: dict[str, str], port: int, *args: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [MITRAKIA, "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server, and whatever workers it left behind if it died first."""
    process.terminate()
    try:
        process.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _health(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
        return int(response.status)


def _eventually(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {within} s"
        time.sleep(0.1)


def _answers(process: subprocess.Popen[bytes], port: int) -> bool:
    assert process.poll() is None, f"the server exited with status {process.returncode}"
    try:
        return _health(port) == 200
    except OSError:
        return False


def _listening_workers(process: subprocess.Popen[bytes], port: int) -> set[int]:
    """The server's child processes (granian's workers) that hold a socket listening on the port, read from /proc
    (`ps` need not be installed). A worker listens only once its app has started."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[1].endswith(f":{port:04X}"):
                listening.add(f"socket:[{fields[9]}]")
    workers = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != process.pid:
                continue
            if any(os.readlink(fd) in listening for fd in (stat.parent / "fd").iterdir()):
                workers.add(int(stat.parent.name))
        except OSError:
            continue  # it ended while we looked
    return workers


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
    process = _serve(env, port, "--server", server)
    try:
        _eventually(lambda: _answers(process, port), 60, f"{server} answering /health")
        # Two failures from one address behind the proxy: that address waits; another one does not.
        assert _login(port, "someone-1", "203.0.113.7") == 401
        assert _login(port, "someone-2", "203.0.113.7") == 429
        assert _login(port, "someone-3", "203.0.113.8") == 401
    finally:
        _stop(process)


def test_a_second_serve_on_a_port_in_use_refuses_in_one_line_and_the_first_keeps_serving(cli_env):
    # granian binds with SO_REUSEPORT: unchecked, a second one would quietly take half the connections, and a
    # user signed in on one would get 401 from the other.
    if importlib.util.find_spec("granian") is None:
        pytest.skip("granian is not installed")
    assert run(cli_env, "migrate").returncode == 0
    port = _free_port()
    first = _serve(cli_env, port, "--server", "granian")
    try:
        _eventually(lambda: _answers(first, port), 60, "the first server answering /health")
        for server in ("granian", "uvicorn"):
            second = _serve(cli_env, port, "--server", server, stderr=subprocess.PIPE)
            try:
                try:
                    assert second.wait(timeout=15) != 0
                except subprocess.TimeoutExpired:
                    pytest.fail(f"a second {server} started serving on a port in use")
                assert second.stderr is not None
                assert second.stderr.read().decode().splitlines() == [
                    f"mitrakia: 127.0.0.1:{port} is already in use (another mitrakia serve?); "
                    "stop it or choose another port with --port"
                ]
            finally:
                _stop(second)
            assert _answers(first, port)
    finally:
        _stop(first)


def test_a_killed_granian_worker_is_replaced_while_the_server_keeps_answering(cli_env):
    if importlib.util.find_spec("granian") is None:
        pytest.skip("granian is not installed")
    assert run(cli_env, "migrate").returncode == 0
    port = _free_port()
    process = _serve(cli_env, port, "--server", "granian", "--workers", "2")
    try:
        _eventually(lambda: len(_listening_workers(process, port)) == 2, 60, "two workers listening")
        victim = min(_listening_workers(process, port))
        os.kill(victim, signal.SIGKILL)
        _eventually(lambda: _answers(process, port), 10, "the server answering after a worker was killed")

        def replaced() -> bool:
            assert process.poll() is None, "the server exited after a worker was killed"
            workers = _listening_workers(process, port)
            return len(workers) == 2 and victim not in workers

        # Waiting for the new worker to listen, not just to exist, also keeps the SIGTERM below out of its startup,
        # where granian's workers do not yet act on it.
        _eventually(replaced, 30, "two workers listening again, the killed one replaced")
        # New connections spread over both workers' sockets (SO_REUSEPORT): every one is answered.
        assert all(_health(port) == 200 for _ in range(10))
        assert process.poll() is None
    finally:
        _stop(process)

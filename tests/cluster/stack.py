"""The deployment of docs/deploy started on this machine for tests/cluster: HAProxy (docs/deploy/haproxy.cfg) in
front of two app nodes (`mitrakia serve --workers 2` each), a PostgreSQL primary with a streaming replica that the
reports read from, and Redis. Every process is the real program on its own ports, in a temporary directory.

PostgreSQL runs as the `postgres` system account when this runs as root (initdb refuses root). The programs are
found on PATH and in PostgreSQL's Debian directory; `make test-cluster` says what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HAPROXY_CONFIG = ROOT / "docs" / "deploy" / "haproxy.cfg"
SECRET = "cluster-test-secret-key-that-is-long-enough-for-the-check"
DATABASE = "mitrakia"
# The till's own rate limits are tested elsewhere; here hundreds of requests come from a few keys and one address.
UNLIMITED = "10000000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin(program: str) -> str:
    found = shutil.which(program)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{program}"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        raise RuntimeError(f"{program} not found: install PostgreSQL's server package (Debian: postgresql)")
    return str(candidates[-1])


def eventually(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {within:.0f} s")


def answers(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own node on loopback
        return bool(response.status == 200)


@dataclass
class Node:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(VENV_BIN / "mitrakia"), "serve", "--port", str(self.port), "--workers", "2"],
            env=self.env,
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the server and its workers at once
        )
        eventually(lambda: answers(f"{self.url}/ready"), 60, f"app node {self.name}")

    def kill(self) -> None:
        """SIGKILL to the server and every worker: a machine that loses power, not a shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    work: Path
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    proxy_port: int = field(default_factory=free_port)
    nodes: list[Node] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    data: dict[str, object] = field(default_factory=dict)

    # --- addresses ------------------------------------------------------------------------------------------

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}/{DATABASE}"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.replica_port}/{DATABASE}"

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def app_env(self) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("MITRAKIA_")},
            "MITRAKIA_DATABASE_URL": self.primary_url,
            "MITRAKIA_DATABASE_REPLICA_URL": self.replica_url,
            "MITRAKIA_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "MITRAKIA_SECRET_KEY": SECRET,
            "MITRAKIA_PUBLIC_BASE_URL": self.proxy_url,
            "MITRAKIA_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "MITRAKIA_PASSWORD_HASH_PROFILE": "owasp_minimum",
            "MITRAKIA_LOG_LEVEL": "WARNING",
            "MITRAKIA_TILL_REQUESTS_PER_MINUTE": UNLIMITED,
            "MITRAKIA_TILL_OUTLET_REQUESTS_PER_MINUTE": UNLIMITED,
            "MITRAKIA_TILL_ADDRESS_REQUESTS_PER_MINUTE": UNLIMITED,
        }

    # --- PostgreSQL -----------------------------------------------------------------------------------------

    def _as_postgres(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)

    def _pg(self, *command: str) -> None:
        subprocess.run(self._as_postgres(*command), check=True, capture_output=True, cwd="/")

    def _start_postgres(self, data: Path, port: int) -> None:
        self._pg(postgres_bin("pg_ctl"), "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w",
                 "-t", "60", "-o", f"-p {port} -k {self.work} -c listen_addresses=127.0.0.1", "start")  # fmt: skip

    def start_postgres(self) -> None:
        primary, replica = self.work / "primary", self.work / "replica"
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
        self._pg(postgres_bin("initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust", "--no-sync",
                 "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        with (primary / "postgresql.conf").open("a") as conf:
            # Throwaway data: no fsync. Streaming replication as production has it.
            conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n")
            conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n")
        self._start_postgres(primary, self.primary_port)
        self._pg(postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", DATABASE)
        self._pg(postgres_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                 "-D", str(replica), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast")  # fmt: skip
        self._start_postgres(replica, self.replica_port)

    def psql(self, sql: str, replica: bool = False) -> str:
        port = self.replica_port if replica else self.primary_port
        done = subprocess.run(
            [postgres_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", DATABASE,
             "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout.strip()

    def replica_caught_up(self) -> bool:
        lsn = self.psql("SELECT pg_current_wal_lsn()")
        return self.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn", replica=True) == "t"

    # --- the rest -------------------------------------------------------------------------------------------

    def _spawn(self, command: list[str], log: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command, stdout=(self.work / log).open("ab"), stderr=subprocess.STDOUT, env=env, cwd=self.work
        )
        self.processes.append(process)
        return process

    def start(self) -> None:
        missing = [program for program in ("haproxy", "redis-server") if shutil.which(program) is None]
        if missing:
            raise RuntimeError(f"not installed: {', '.join(missing)} (Debian: apt-get install haproxy redis-server)")
        self.start_postgres()
        self._spawn(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no"], "redis.log")  # fmt: skip
        env = self.app_env()
        subprocess.run([str(VENV_BIN / "mitrakia"), "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        seeded = self.work / "seed.json"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load" / "seed.py"), str(seeded), "2", "3", "400", "0"],
            env=env, cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        self.data = json.loads(seeded.read_text())
        self.nodes = [Node(f"node{n}", free_port(), env, self.work / f"node{n}.log") for n in (1, 2)]
        for node in self.nodes:
            node.start()
        self._spawn(
            ["haproxy", "-f", str(HAPROXY_CONFIG)],
            "haproxy.log",
            env={
                **os.environ,
                "MITRAKIA_LISTEN": f"127.0.0.1:{self.proxy_port}",
                "MITRAKIA_NODE_1": f"127.0.0.1:{self.nodes[0].port}",
                "MITRAKIA_NODE_2": f"127.0.0.1:{self.nodes[1].port}",
            },
        )
        eventually(lambda: answers(f"{self.proxy_url}/ready"), 30, "HAProxy")
        eventually(self.replica_caught_up, 30, "the replica catching up")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        for data in ("replica", "primary"):
            if (self.work / data).exists():
                subprocess.run(
                    self._as_postgres(postgres_bin("pg_ctl"), "-D", str(self.work / data), "-m", "immediate", "stop"),
                    capture_output=True, cwd="/",
                )  # fmt: skip

    def logs(self) -> str:
        """The tail of every log, for a failing test's report."""
        parts = []
        for log in sorted(self.work.glob("*.log")):
            parts.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))
        return "\n".join(parts)


def started() -> Cluster:
    work = Path(tempfile.mkdtemp(prefix="mitrakia-cluster-"))
    cluster = Cluster(work)
    try:
        cluster.start()
    except BaseException:
        print(cluster.logs(), file=sys.stderr)
        cluster.stop()
        raise
    return cluster

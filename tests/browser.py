"""A real server and a real Chromium for page tests: the app served by uvicorn in its own process on the test's
database, and Debian's Chromium driven by Playwright (never `playwright install`: no downloads here)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.database.engine import engine
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, TEST_SECRET

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path("var/screenshots")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Chromium is not installed (apt-get install chromium); .ci/run installs it",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def live_server(**overrides: str) -> AsyncIterator[str]:
    """uvicorn on a free port, on the same database as this test (its SQLite file, or the PostgreSQL database).

    `overrides` replace settings in the server's environment (MITRAKIA_REDIS_URL=... for a Redis of its own)."""
    async with server_process(**overrides) as (base, _):
        yield base


@asynccontextmanager
async def server_process(**overrides: str) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """`live_server`, with its process: a test may kill it (SIGKILL, as a crash or an OOM kill would)."""
    port = free_port()
    database_url = TEST_DATABASE_URL or f"sqlite:///{engine().path}"  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITRAKIA_")}
    env.update(
        {
            "MITRAKIA_DATABASE_URL": database_url,
            "MITRAKIA_SECRET_KEY": TEST_SECRET,
            "MITRAKIA_PASSWORD_HASH_PROFILE": "owasp_minimum",
            "MITRAKIA_LOG_LEVEL": "WARNING",
            "MITRAKIA_DB_POOL_SIZE": "4",
        }
    )
    if TEST_REDIS_URL:
        env["MITRAKIA_REDIS_URL"] = TEST_REDIS_URL
    env.update(overrides)
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, before any await on it
        [sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"{base}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode() if process.stderr else "server exited")
                time.sleep(0.05)  # noqa: ASYNC251 - waiting for another process to bind its port
        yield base, process
    finally:
        if process.poll() is None:  # not killed by the test already
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()  # never leave a server behind; but a server that cannot stop is a bug: say so
        process.wait(timeout=10)
        raise RuntimeError("the server did not stop within 10 s of SIGTERM") from None


@asynccontextmanager
async def chromium(*extra_args: str, **context_options: Any) -> AsyncIterator[Any]:
    """A headless Chromium page at phone size (360 x 640) unless told otherwise."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_FLAGS, *extra_args]
        )
        options = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True,
                   "has_touch": True, "locale": "id-ID", **context_options}  # fmt: skip
        context = await browser.new_context(**options)
        page = await context.new_page()
        try:
            yield page
        finally:
            await context.close()
            await browser.close()


async def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


def fake_camera(video: Path) -> tuple[str, ...]:
    """Chromium's flags for a camera that shows `video` (a Y4M file), with no permission prompt."""
    return (
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )


def fake_camera_file(qr_png: bytes, folder: Path) -> Path:
    """A Y4M video (640 x 480, ten frames) showing the QR, for Chromium's fake camera."""
    import io

    from PIL import Image

    qr = Image.open(io.BytesIO(qr_png)).convert("L")
    assert qr.height <= 480, "render the QR with smaller whole-pixel modules"
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    path = folder / "qr.y4m"
    with path.open("wb") as handle:
        handle.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            handle.write(b"FRAME\n" + luma + chroma + chroma)
    return path.resolve()

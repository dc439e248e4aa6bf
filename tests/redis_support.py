"""A real redis-server on a loopback port, for the tests of the Redis limiter and its users."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    """A redis-server process on a loopback port that a test may stop and start again."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(  # noqa: S603 -- a fixed binary on loopback
            [self.binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                time.sleep(0.02)
            else:
                return
        pytest.fail("redis-server did not start listening within 10 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def running_redis() -> Iterator[RedisServer]:
    """Start a redis-server for one test (the ``redis_server`` fixture), stopped afterwards."""
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it, and CI must run these")
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI runs these")
    server = RedisServer(REDIS_SERVER)
    server.start()
    yield server
    server.stop()

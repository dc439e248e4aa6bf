from __future__ import annotations

import asyncio
import importlib.metadata
import io
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import aiodo_projects.testing
from aiodo_projects.cli._fake_server import SERVER_RECORD_LIMIT
from aiodo_projects.testing import FakeDigitalOcean, serve
from aiodo_projects.testing import pytest_plugin as plugin
from aiodo_projects.testing.__main__ import main
from tests.fake_http import send

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]


async def test_fake_module_runs_as_a_server_until_sigint() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiodo_projects.testing",
        "--port", "0", "--projects", "3", "--numbered", "--token", "T", "--enforce-limits",
        stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        assert line.startswith("listening on http://127.0.0.1:")
        base_url = line.removeprefix("listening on ").strip()
        headers = {"Authorization": "Bearer T"}
        async with (
            aiohttp.ClientSession() as session,
            session.get(base_url + "/v2/projects", headers=headers) as response,
        ):
            names = [project["name"] for project in (await response.json())["projects"]]
            assert names == ["Default", "project-00001", "project-00002", "project-00003"]
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:  # pragma: no cover - only when the test failed
            process.kill()
            await process.wait()


class InterruptWhenReady(io.StringIO):
    """A stdout that sends this process SIGINT once the fake says it listens."""

    def write(self, text: str) -> int:
        written = super().write(text)
        if text.startswith("listening on"):
            os.kill(os.getpid(), signal.SIGINT)
        return written


def test_fake_main_prints_the_url_and_stops_on_sigint(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = InterruptWhenReady()
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["--projects", "2", "--latency", "0.01"]) == 0
    assert stdout.getvalue().startswith("listening on http://127.0.0.1:")


def test_fake_main_refuses_a_public_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0"]) == 2  # noqa: S104
    assert "loopback" in capsys.readouterr().err


async def test_fake_serve_until_stopped() -> None:
    stop = asyncio.Event()
    seen: list[str] = []

    def ready(fake: FakeDigitalOcean) -> None:
        seen.append(fake.base_url)
        stop.set()

    await serve(FakeDigitalOcean(), on_ready=ready, stop=stop, signals=())
    assert seen


async def test_fake_serve_until_sigterm() -> None:
    await serve(FakeDigitalOcean(), on_ready=lambda _: os.kill(os.getpid(), signal.SIGTERM))
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_fake_serve_stops_on_cancel() -> None:
    fake, ready = FakeDigitalOcean(), asyncio.Event()
    task = asyncio.create_task(serve(fake, signals=(), on_ready=lambda _: ready.set()))
    await ready.wait()
    assert (await send(fake, "GET", "/v2/projects")).status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake._running is None


async def test_fake_plugin_fixture_function() -> None:
    fixtures = plugin._running_fake()
    fake = await anext(fixtures)
    assert list(fake.projects) == [fake.default_project_id]
    assert (await send(fake, "GET", "/v2/projects", token=fake.token)).status == 200
    with pytest.raises(StopAsyncIteration):
        await anext(fixtures)
    with pytest.raises(aiohttp.ClientConnectionError):  # closed after the test
        await send(fake, "GET", "/v2/projects")


@pytest.mark.parametrize("autoloaded", [True, False])
def test_fake_plugin_gives_tests_a_fixture(pytester: pytest.Pytester, autoloaded: bool) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nfilterwarnings = error\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makeconftest(
        """
        import aiodo_projects.testing.pytest_plugin as plugin

        def pytest_configure(config):
            # Registered already when the package is installed (its pytest11 entry point).
            if not config.pluginmanager.is_registered(plugin):
                config.pluginmanager.register(plugin, "aiodo_projects_by_hand")
        """
    )
    pytester.makepyfile(
        """
        import aiohttp

        async def test_uses_the_fake(fake_digitalocean):
            fake_digitalocean.seed(2)
            headers = {"Authorization": f"Bearer {fake_digitalocean.token}"}
            async with aiohttp.ClientSession() as session:
                url = fake_digitalocean.base_url + "/v2/projects"
                async with session.get(url, headers=headers) as response:
                    assert (await response.json())["meta"]["total"] == 3
        """
    )
    # Installed, the package's pytest11 entry point loads the plugin by itself; with
    # autoloading of it disabled, the conftest above registers it by hand.
    names = {entry.name for entry in importlib.metadata.entry_points(group="pytest11")}
    assert "aiodo_projects" in names
    flags = [] if autoloaded else ["-p", "no:aiodo_projects"]
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *flags)
    result.assert_outcomes(passed=1)


def test_fake_main_keeps_a_bounded_request_log(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[FakeDigitalOcean] = []
    real = FakeDigitalOcean

    def spy(**kwargs: Any) -> FakeDigitalOcean:
        made.append(real(**kwargs))
        return made[-1]

    monkeypatch.setattr(aiodo_projects.testing, "FakeDigitalOcean", spy)
    monkeypatch.setattr(sys, "stdout", InterruptWhenReady())
    assert main([]) == 0
    assert main(["--record-limit", "7"]) == 0
    assert [fake.record_limit for fake in made] == [SERVER_RECORD_LIMIT, 7]
    assert main(["--record-limit", "-1"]) == 2

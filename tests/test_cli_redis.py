"""The command line shares each token's limits through Redis with --redis-url / AIODO_REDIS_URL."""

from __future__ import annotations

import hashlib
import socket
from typing import TYPE_CHECKING

import pytest
from redis import Redis

from aiodo_projects.cli._connect import REDIS_URL_ENV
from tests.cli_support import TOKEN, fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aiodo_projects.testing import FakeDigitalOcean
    from tests.redis_support import RedisServer


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    monkeypatch.delenv(REDIS_URL_ENV, raising=False)
    with fake_in_thread(lambda server: server.seed(3)) as server:
        yield server


SECOND_TOKEN = "dop_v1_cli_second_account_token"


def _tagged_keys(url: str) -> set[str]:
    with Redis.from_url(url) as redis:
        return {key.decode() for key in redis.keys("{aiodo:*")}


def _tag(token: str) -> str:
    """The hash tag of a token's keys, as the Redis limiter writes it (never the token)."""
    return "{aiodo:" + hashlib.sha256(token.encode()).hexdigest()[:32] + "}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_redis_url_limits_each_command_through_redis(
    fake: FakeDigitalOcean, redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "--redis-url", redis_server.url, "-o", "json", "list")
    assert run.code == 0, run.err
    assert run.out.count('"id"') == 4  # the default project and the three seeded
    keys = _tagged_keys(redis_server.url)
    assert keys, "the command's requests did not go through the Redis limiter"
    assert {key.split("}")[0] + "}" for key in keys} == {_tag(fake.token)}
    assert not any(fake.token in key for key in keys)


def test_cli_redis_url_from_the_environment(
    fake: FakeDigitalOcean,
    redis_server: RedisServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REDIS_URL_ENV, redis_server.url)
    run = run_main(capsys, fake, "get", "default")
    assert run.code == 0, run.err
    assert any(key.startswith(_tag(fake.token)) for key in _tagged_keys(redis_server.url))


def _two_accounts(server: FakeDigitalOcean) -> None:
    server.seed(3)
    server.add_account(SECOND_TOKEN).seed(2)


def test_cli_audit_of_several_accounts_shares_each_token_through_redis(
    redis_server: RedisServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DO_TOKEN_PROD", TOKEN)
    monkeypatch.setenv("DO_TOKEN_STAGING", SECOND_TOKEN)
    with fake_in_thread(_two_accounts) as server:
        run = run_main(
            capsys,
            None,
            *("--base-url", server.base_url, "--redis-url", redis_server.url, "-o", "json"),
            *("audit", "--token-env", "DO_TOKEN_PROD", "--token-env", "DO_TOKEN_STAGING"),
            *("--db", str(tmp_path / "audit.sqlite3")),
        )
    assert run.code == 0, run.err
    tags = {key.split("}")[0] + "}" for key in _tagged_keys(redis_server.url)}
    assert tags == {_tag(TOKEN), _tag(SECOND_TOKEN)}  # one limiter per account, each its own


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--redis-failure-policy", "local", "list"],
            "--redis-failure-policy local needs --redis-workers N",
        ),
        (["--redis-workers", "0", "list"], "--redis-workers must be 1 or more"),
        (
            ["audit", "--rate-limiter", "off"],
            "--redis-url shares a rate limiter, so it excludes --rate-limiter off",
        ),
    ],
)
def test_cli_redis_options_refuse_what_cannot_run(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    url = f"redis://127.0.0.1:{_free_port()}"
    run = run_main(capsys, fake, "--redis-url", url, *argv)
    assert run.code == 2
    assert message in run.err
    assert fake.received() == 0


def test_cli_redis_unreachable_fails_closed_in_one_line(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://127.0.0.1:{_free_port()}"  # nothing listens there
    run = run_main(capsys, fake, "--redis-url", url, "get", "default")
    assert run.code == 1
    assert run.err.count("\n") == 1
    assert "Traceback" not in run.err
    assert fake.received() == 0  # closed: nothing is sent without the shared limiter

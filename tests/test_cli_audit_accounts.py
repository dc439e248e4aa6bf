"""``aiodo-projects audit --accounts FILE``: accounts from a TOML file, from the command line."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.cli_support import TOKEN, fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aiodo_projects.testing import FakeDigitalOcean

SECOND = "dop_v1_cli_SECOND_0a9b8c7d6e5f4a3b"
ACCOUNTS = f"""\
[[accounts]]
name = "prod"
token_env = "DO_TOKEN_PROD"

[[accounts]]
name = "staging"
token = "{SECOND}"
"""


@pytest.fixture
def two(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    monkeypatch.setenv("DO_TOKEN_PROD", TOKEN)

    def setup(fake: FakeDigitalOcean) -> None:
        fake.seed(3, resources_per_project=1)
        fake.add_account(SECOND).seed(5, resources_per_project=2)

    with fake_in_thread(setup) as server:
        yield server


def _file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(ACCOUNTS)
    path.chmod(mode)
    return path


def test_cli_audit_accounts_file_audits_each_account_with_its_own_token(
    two: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _file(tmp_path, 0o600)
    argv = ["--base-url", two.base_url, "audit", "--accounts", str(path), "-o", "json"]
    run = run_main(capsys, None, *argv)
    assert run.code == 0, run.err
    report = json.loads(run.out)
    sections = [
        (a["account"], a["status"], a["projects"], a["resources"]) for a in report["accounts"]
    ]
    assert sections == [("prod", "complete", 4, 3), ("staging", "complete", 6, 10)]
    assert (report["projects"], report["resources"]) == (10, 13)
    tokens = {r.headers.get("Authorization") for r in two.requests}
    assert tokens == {f"Bearer {TOKEN}", f"Bearer {SECOND}"}
    assert TOKEN not in run.out + run.err
    assert SECOND not in run.out + run.err


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_cli_audit_refuses_an_accounts_file_others_can_read_and_says_how_to_fix_it(
    two: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], tmp_path: Path, mode: int
) -> None:
    path = _file(tmp_path, mode)
    run = run_main(capsys, None, "--base-url", two.base_url, "audit", "--accounts", str(path))
    assert run.code == 2
    assert run.out == ""
    assert run.err == (
        f"aiodo-projects: error: {path}: holds a token but is readable by group or others"
        f" (mode {mode:04o}); run: chmod 600 {path}\n"
    )
    assert two.received() == 0  # refused before any request
    assert SECOND not in run.err


def test_cli_audit_resume_needs_a_token_for_every_account_of_the_run(
    two: FakeDigitalOcean,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, 0o600)
    base = ["--base-url", two.base_url, "audit", "--db", str(tmp_path / "runs.sqlite3")]
    two.script("projects_list_resources", 403)  # one account fails: the run is left to resume
    failed = run_main(capsys, None, *base, "--accounts", str(path), "-o", "json")
    assert failed.code == 1
    assert json.loads(failed.out)["run"]["status"] == "failed"

    monkeypatch.setenv("DO_TOKEN_STAGING", SECOND)
    one = run_main(capsys, None, *base, "--token-env", "DO_TOKEN_PROD", "--resume")
    assert (one.code, one.err) == (
        2,
        "aiodo-projects: error: run 1 covers prod, staging; no token for staging\n",
    )
    both = ["--token-env", "DO_TOKEN_PROD", "--token-env", "DO_TOKEN_STAGING"]
    resumed = run_main(capsys, None, *base, *both, "--resume", "-o", "json")
    assert resumed.code == 0, resumed.err
    assert json.loads(resumed.out)["projects"] == 10

"""``aiodo-projects audit`` paths off the happy one: refused combinations, empty databases,
unknown runs, the estimate in every format, and the report of an account that failed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from aiodo_projects.cli import main
from aiodo_projects.cli._run_report import RunReport
from aiodo_projects.cli._sqlite_store import SQLiteStore
from tests.cli_support import TOKEN, fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aiodo_projects.testing import FakeDigitalOcean

NOWHERE = "http://127.0.0.1:9"  # nothing listens: a request sent would fail differently


class Terminal(io.StringIO):
    """A stdout that says it is a terminal, so the rich output is drawn."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)


@pytest.fixture
def small() -> Iterator[FakeDigitalOcean]:
    with fake_in_thread(lambda f: f.seed(3, resources_per_project=2)) as server:
        yield server


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    out = capsys.readouterr()
    assert code == 2, out.err
    assert out.out == ""
    assert TOKEN not in out.err
    return out.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fake", "audit", "--accounts", "a.toml"], "--fake excludes --base-url, --accounts"),
        (
            ["--fake", "audit", "--token-env", "DO_TOKEN_X"],
            "--fake excludes --base-url, --accounts",
        ),
        (["--fake", "--base-url", NOWHERE, "audit"], "--fake excludes --base-url, --accounts"),
        (["--fake", "audit", "--fake-accounts", "0"], "--fake-accounts must be 1 or more"),
        (
            ["--base-url", NOWHERE, "audit", "--accounts", "a.toml", "--token-env", "DO_TOKEN_X"],
            "give --accounts or --token-env, not both",
        ),
        (["--base-url", NOWHERE, "audit"], "no API token: set DIGITALOCEAN_TOKEN or pass --token"),
        (["--token", TOKEN, "audit", "--timeout", "0"], "--timeout must be a positive number"),
        (["--token", TOKEN, "audit", "--timeout", "-5"], "--timeout must be a positive number"),
        (["--token", TOKEN, "audit", "--timeout", "nan"], "--timeout must be a positive number"),
        (
            ["--token", TOKEN, "audit", "--max-duration", "0"],
            "must be a positive number of seconds",
        ),
        (["--token", TOKEN, "audit", "--max-duration", "soon"], "not a number of seconds: 'soon'"),
        (["--token", TOKEN, "audit", "--top", "-1"], "--top and --limit must be 0 or more"),
    ],
)
def test_cli_audit_refuses_bad_combinations_before_any_request(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    err = _refused(capsys, argv)
    assert message in err
    assert err.count("\n") == 1  # one line, no traceback, no "cannot reach the API"


@pytest.mark.parametrize(
    ("resume", "message"),
    [
        ([], "there is no run to resume in this database"),
        (["abc"], "--resume takes a run id, not 'abc'"),
        (["7"], "there is no run 7 in this database"),
    ],
)
def test_cli_audit_resume_refuses_what_it_cannot_resume(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, resume: list[str], message: str
) -> None:
    db = str(tmp_path / "empty.sqlite3")
    argv = ["--base-url", NOWHERE, "--token", TOKEN, "audit", "--db", db, "--resume", *resume]
    assert message in _refused(capsys, argv)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (["diff"], "audit diff needs two complete runs (see audit history)"),
        (["diff", "1"], "there is no other complete run to compare with"),
        (["diff", "one", "two"], "audit diff takes run ids (see audit history)"),
        (["diff", "1", "2"], "there is no run 1 in this database"),
        (["export", "3"], "there is no run 3 in this database"),
        (["export"], "yet: run aiodo-projects audit first"),
    ],
)
def test_cli_audit_diff_and_export_of_an_empty_database_say_what_is_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, action: list[str], message: str
) -> None:
    db = str(tmp_path / "empty.sqlite3")
    assert message in _refused(capsys, ["audit", *action, "--db", db])


def test_cli_audit_history_of_an_empty_database_is_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "empty.sqlite3")
    assert run_main(capsys, None, "audit", "history", "--db", db, "-o", "json").out == "[]\n"
    table = run_main(capsys, None, "audit", "history", "--db", db)
    assert table.code == 0
    assert table.out.split() == ["ID", "Started", "Status", "Accounts", "Projects", "Resources"]


def test_cli_audit_diff_and_export_name_unknown_runs_beside_real_ones(
    small: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "runs.sqlite3")
    assert run_main(capsys, small, "audit", "--db", db, "-o", "json").code == 0
    only_one = run_main(capsys, None, "audit", "diff", "1", "--db", db)
    assert (only_one.code, only_one.err) == (
        2,
        "aiodo-projects: error: there is no other complete run to compare with\n",
    )
    unknown = run_main(capsys, None, "audit", "diff", "1", "9", "--db", db)
    assert (unknown.code, unknown.err) == (
        2,
        "aiodo-projects: error: there is no run 9 in this database\n",
    )


def test_cli_audit_diff_of_one_run_compares_it_with_the_latest_complete_run(
    small: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "runs.sqlite3")
    for _ in range(3):
        assert run_main(capsys, small, "audit", "--db", db, "-o", "json").code == 0
    diff = json.loads(run_main(capsys, None, "audit", "diff", "1", "--db", db, "-o", "json").out)
    assert (diff["old_run"], diff["new_run"]) == (1, 3)
    plain = run_main(capsys, None, "audit", "diff", "2", "--db", db)
    assert plain.code == 0
    assert plain.out == "Changes from run 2 to run 3: 0 to projects, 0 to resources\nno changes\n"
    history = run_main(capsys, None, "audit", "history", "--db", db)
    lines = history.out.splitlines()
    assert lines[0].split() == ["ID", "Started", "Status", "Accounts", "Projects", "Resources"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert all(line.split()[3:5] == ["UTC", "complete"] for line in lines[1:])


def test_cli_audit_export_of_a_given_run_as_a_table_and_on_a_terminal(
    small: FakeDigitalOcean,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "runs.sqlite3")
    assert run_main(capsys, small, "audit", "--db", db, "-o", "json").code == 0
    small.add_project(name="after-the-run", purpose="IoT")
    assert run_main(capsys, small, "audit", "--db", db, "-o", "json").code == 0

    plain = run_main(capsys, None, "audit", "export", "1", "--db", db)
    assert plain.code == 0
    header, *rows = plain.out.splitlines()
    assert header.split()[:3] == ["account", "project_id", "project_name"]
    assert len(rows) == 3 * 2 + 1  # two resources each, and the default project has none
    assert "after-the-run" not in plain.out
    latest = run_main(capsys, None, "audit", "export", "--db", db, "--no-header", "-o", "csv")
    assert sum(1 for row in csv.reader(io.StringIO(latest.out)) if "after-the-run" in row) == 1

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["audit", "export", "1", "--db", db]) == 0
    assert main(["audit", "diff", "--db", db]) == 0
    shown = terminal.getvalue()
    assert shown.count("project_name") == 1
    assert "Changes from run 1 to run 2: 1 to projects, 0 to resources" in shown
    assert "after-the-run" in shown.split("Changes from run 1")[1]


def test_cli_audit_estimate_as_json_csv_and_on_a_terminal(
    small: FakeDigitalOcean,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small.set_remaining(1000)
    as_json = json.loads(run_main(capsys, small, "audit", "--estimate", "-o", "json").out)
    assert as_json == [
        {"account": "default", "projects": 4, "requests": 5, "remaining": 999, "seconds": 0.0}
    ]
    rows = list(
        csv.reader(io.StringIO(run_main(capsys, small, "audit", "--estimate", "-o", "csv").out))
    )
    assert rows == [
        ["account", "projects", "requests", "remaining", "seconds"],
        ["default", "4", "5", "998", "0.0"],
    ]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    code = main(["--base-url", small.base_url, "--token", TOKEN, "audit", "--estimate"])
    assert code == 0
    assert terminal.getvalue() == (
        "default: 4 projects; about 5 requests; 997 left this hour; under a minute\n"
    )
    assert small.received() == 3  # one probe per estimate, nothing else


def _two_accounts(fake: FakeDigitalOcean) -> None:
    fake.seed(3, resources_per_project=1)
    fake.add_account("second-token").seed(2, resources_per_project=1)
    fake.script("projects_list_resources", 403)  # refused once, to whichever account asks first


def test_cli_audit_an_account_that_fails_is_reported_in_its_section_and_the_others_finish(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DO_TOKEN_PROD", TOKEN)
    monkeypatch.setenv("DO_TOKEN_STAGING", "second-token")
    db = str(tmp_path / "runs.sqlite3")
    with fake_in_thread(_two_accounts) as fake:
        argv = ["--base-url", fake.base_url, "audit", "--db", db]
        argv += ["--token-env", "DO_TOKEN_PROD", "--token-env", "DO_TOKEN_STAGING"]
        failed = run_main(capsys, None, *argv)
        assert failed.code == 1, failed.err
        headers = re.findall(r"^== Account (\S+) \((\w+)\) ==$", failed.out, re.MULTILINE)
        assert sorted(name for name, _ in headers) == ["prod", "staging"]
        assert sorted(status for _, status in headers) == ["complete", "failed"]
        (bad,) = [name for name, status in headers if status == "failed"]
        section = failed.out.split(f"== Account {bad} (failed) ==\n")[1]
        assert section.startswith("error: permission denied (403)")
        assert "== All 2 accounts ==" in failed.out
        assert f"Run 1: PARTIAL (failed: {bad}: permission denied (403)" in failed.out
        assert failed.out.endswith("finish it with: aiodo-projects audit --resume 1\n")

        resumed = run_main(capsys, None, *argv, "--resume", "1", "-o", "json")
        assert resumed.code == 0, resumed.err
        report = json.loads(resumed.out)
        assert [(a["account"], a["status"], a["projects"]) for a in report["accounts"]] == [
            ("prod", "complete", 4), ("staging", "complete", 3)
        ]  # fmt: skip
        assert TOKEN not in failed.out + failed.err + resumed.out + resumed.err

        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        fake.script("projects_list_resources", 403)
        assert main([*argv, "--limit", "1"]) == 1
    shown = terminal.getvalue()
    assert re.search(r"error: permission denied \(403\)", shown)
    assert "All 2 accounts" in shown
    assert "Run 2: PARTIAL (failed: " in shown


def test_cli_audit_of_one_account_on_a_terminal_ends_with_the_run_status(
    small: FakeDigitalOcean,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    argv = ["--base-url", small.base_url, "--token", TOKEN, "audit", "--db", str(tmp_path / "r")]
    assert main(argv) == 0
    shown = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue())  # without rich's styles
    assert shown.startswith("Audit of 4 projects and 6 resources\n")
    assert "Account" not in shown  # one account: its report is the summary
    assert shown.rstrip().endswith("Run 1: complete")
    assert capsys.readouterr().err.startswith("Estimate for default: 4 projects; ")


async def test_run_report_without_this_process_outcome_has_no_budget_to_warn_of(
    tmp_path: Path,
) -> None:
    project = do.Project(id="00000000-0000-4000-8000-000000000001", name="p", purpose="IoT")
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        run_id = await store.start_run(accounts=["prod"], options={})
        await store.add_projects(run_id, "prod", [project], total=1)
        await store.finish_project(run_id, "prod", project.id, [])
        await store.finish_account(run_id, "prod", "complete")
        await store.finish_run(run_id, "complete")
        report = RunReport.from_inventory(await store.inventory(run_id))
    assert report.sections[0].report.rate_limit is None
    assert report.warnings() == []
    assert report.exit_code == 0
    assert report.status_line() == "Run 1: complete"

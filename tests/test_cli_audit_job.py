"""The audit job from the command line: history, diff, export, resume, estimates and filters."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import pytest

from aiodo_projects.cli import main
from tests.cli_support import TOKEN, fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aiodo_projects.testing import FakeDigitalOcean


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with fake_in_thread(lambda f: f.seed_demo(projects=40)) as server:
        yield server


def _json(capsys: pytest.CaptureFixture[str], fake: FakeDigitalOcean, *argv: str) -> Any:
    run = run_main(capsys, fake, *argv, "-o", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_cli_audit_history_and_diff_show_exactly_the_changes_made_between_runs(
    demo: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "runs.sqlite3")
    assert run_main(capsys, demo, "audit", "--db", db, "-o", "json").code == 0
    ids = [pid for pid in demo.projects if pid != demo.default_project_id]

    def ok(pid: str) -> list[str]:
        return [r["urn"] for r in demo.resources_of(pid) if r["status"] == "ok"]

    source, target = [pid for pid in ids if ok(pid)][:2]
    moved, changed = ok(source)[0], ok(target)[-1]
    added = demo.add_project(name="new-project", purpose="IoT")
    demo.add_resource(target, moved)  # moves it from its project
    demo.add_resource(target, changed, status="service_down")
    renamed = ids[5]
    patch = run_main(capsys, demo, "patch", renamed, "--name", "renamed-project")
    assert patch.code == 0, patch.err
    removed = next(pid for pid in ids if not demo.resources_of(pid))
    assert run_main(capsys, demo, "delete", removed, "--yes").code == 0
    assert run_main(capsys, demo, "audit", "--db", db, "-o", "json").code == 0

    history = _json(capsys, demo, "audit", "history", "--db", db)
    assert [(r["id"], r["status"]) for r in history] == [(2, "complete"), (1, "complete")]
    assert history[0]["projects"] == 41
    assert history[1]["projects"] == 41

    diff = _json(capsys, demo, "audit", "diff", "--db", db)
    assert (diff["old_run"], diff["new_run"]) == (1, 2)
    projects = {(c["change"], c["project"]["id"]) for c in diff["projects"]}
    assert projects == {("added", added["id"]), ("removed", removed), ("changed", renamed)}
    (change,) = [c for c in diff["projects"] if c["change"] == "changed"]
    assert change["fields"] == {"name": {"old": demo_name(diff, renamed), "new": "renamed-project"}}
    resources = {(c["change"], c["urn"]) for c in diff["resources"]}
    assert resources == {("moved", moved), ("status", changed)}
    (status,) = [c for c in diff["resources"] if c["change"] == "status"]
    assert (status["old_status"], status["new_status"]) == ("ok", "service_down")

    as_csv = run_main(capsys, demo, "audit", "diff", "1", "2", "--db", db, "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert len(rows) == 5
    table = run_main(capsys, demo, "audit", "diff", "--db", db)
    assert table.out.startswith("Changes from run 1 to run 2: 3 to projects, 2 to resources\n")
    assert "renamed-project" in table.out


def demo_name(diff: object, project_id: str) -> str:
    assert isinstance(diff, dict)
    (change,) = [c for c in diff["projects"] if c["project"]["id"] == project_id]
    return str(change["fields"]["name"]["old"])


def test_cli_audit_export_has_every_project_and_resource(
    demo: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(capsys, demo, "audit", "-o", "json").code == 0
    export = _json(capsys, demo, "audit", "export")
    assert isinstance(export, dict)
    assert export["schema_version"] == 2
    stored = {p["project"]["id"]: {r["urn"] for r in p["resources"]} for p in export["projects"]}
    assert stored == {pid: {r["urn"] for r in demo.resources_of(pid)} for pid in demo.projects}
    rows = list(
        csv.DictReader(io.StringIO(run_main(capsys, demo, "audit", "export", "-o", "csv").out))
    )
    total = sum(len(demo.resources_of(pid)) for pid in demo.projects)
    empty = sum(1 for pid in demo.projects if not demo.resources_of(pid))
    assert len(rows) == total + empty


def test_cli_audit_max_duration_leaves_a_partial_report_and_resume_finishes_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with fake_in_thread(
        lambda f: f.seed(projects=60, resources_per_project=1), latency=0.02
    ) as fake:
        first = run_main(
            capsys, fake, "audit", "--concurrency", "1", "--max-duration", "0.5", "-o", "json"
        )
        assert first.code == 1
        partial = json.loads(first.out)
        assert partial["run"]["partial"] is True
        assert partial["run"]["reason"] == "stopped after --max-duration 0.5 s"
        assert 0 < partial["projects"] < 61
        assert "finish it with: aiodo-projects audit --resume 1" in first.err
        fetched_before = fake.received("projects_list_resources")

        second = run_main(capsys, fake, "audit", "--resume", "-o", "json")
        assert second.code == 0, second.err
        final = json.loads(second.out)
        assert final["run"] == final["run"] | {"id": 1, "status": "complete", "partial": False}
        assert final["projects"] == 61
        assert final["resources"] == 60
        fetched = fake.received("projects_list_resources")
        assert fetched - fetched_before <= 61 - partial["projects"] + 1  # one in flight at most
        again = run_main(capsys, fake, "audit", "--resume")
        assert again.code == 2
        assert "run 1 is complete: nothing to resume" in again.err


def test_cli_audit_estimate_only_prints_what_the_audit_needs(
    demo: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, demo, "audit", "--estimate")
    assert run.code == 0, run.err
    assert (
        run.out == "default: 41 projects; about 42 requests; 4,999 left this hour; under a minute\n"
    )
    assert demo.received() == 1
    history = _json(capsys, demo, "audit", "history")
    assert history == []  # an estimate stores no run


def test_cli_audit_filters_cover_only_the_matching_projects(
    demo: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _json(capsys, demo, "audit", "--environment", "production", "--name", "*-prod*")
    assert isinstance(report, dict)
    wanted = {
        pid for pid, p in demo.projects.items()
        if p.get("environment") == "Production" and "-prod" in p["name"]
    }  # fmt: skip
    assert wanted
    assert report["projects"] == len(wanted)
    purpose = _json(capsys, demo, "audit", "--purpose", "iot")
    assert isinstance(purpose, dict)
    assert purpose["projects"] == sum(1 for p in demo.projects.values() if p["purpose"] == "IoT")


def test_cli_audit_several_accounts_from_token_env_get_a_section_each(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def setup(fake: FakeDigitalOcean) -> None:
        fake.seed(3)
        fake.add_account("second-token").seed(5)

    with fake_in_thread(setup) as fake:
        monkeypatch.setenv("DO_TOKEN_PROD", TOKEN)
        monkeypatch.setenv("DO_TOKEN_STAGING", "second-token")
        argv = ["--base-url", fake.base_url, "audit", "--token-env", "DO_TOKEN_PROD"]

        code = main([*argv, "--token-env", "DO_TOKEN_STAGING", "-o", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    assert [(a["account"], a["projects"]) for a in report["accounts"]] == [
        ("prod", 4), ("staging", 6)
    ]  # fmt: skip
    assert report["projects"] == 10
    assert TOKEN not in out.out + out.err
    assert "second-token" not in out.out + out.err


@pytest.mark.slow
def test_cli_fake_audit_demonstrates_several_accounts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = run_main(capsys, None, "--fake", "audit", "--fake-accounts", "3", "--limit", "2")
    assert run.code == 0, run.err
    for name in ("fake-1", "fake-2", "fake-3"):
        assert f"== Account {name} (complete) ==" in run.out
    assert "== All 3 accounts ==" in run.out
    assert run.out.endswith("Run 1: complete\n")

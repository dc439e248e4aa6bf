"""``audit``: the concurrent gathering, the report's findings, and its three output formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

import aiodo_projects as do
from aiodo_projects.cli._audit import (
    AccountJob,
    Filters,
    ProjectAudit,
    audit_account,
    audit_project,
)
from aiodo_projects.cli._output import RenderOptions
from aiodo_projects.cli._report import AuditReport
from aiodo_projects.cli._sqlite_store import SQLiteStore
from tests.cli_support import TOKEN, fake_in_thread, run_main
from tests.conftest import TOKEN as FAKE_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from aiodo_projects.testing import FakeDigitalOcean


class _Silent:
    def __init__(self) -> None:
        self.totals: list[int | None] = []
        self.done = 0

    def start(self, *, done: int, total: int | None) -> None:
        self.done = done
        self.totals.append(total)

    def set_total(self, total: int | None) -> None:
        self.totals.append(total)

    def advance(self) -> None:
        self.done += 1


def _project(name: str, **fields: Any) -> do.Project:
    return do.Project(id=f"id-{name}", name=name, **fields)


def _resource(urn: str, status: str = "ok") -> do.Resource:
    return do.Resource(urn=urn, status=do.ResourceStatus(status))


# -- the report (pure) -------------------------------------------------------------------


def _report(**options: Any) -> AuditReport:
    old, new = datetime(2020, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    audits = (
        audit_project(_project("home", is_default=True, environment="Production"), []),
        audit_project(
            _project("shop", environment="Production", purpose="Web Application"),
            [_resource("do:droplet:1"), _resource("do:droplet:2"), _resource("do:volume:v")],
        ),
        audit_project(_project("new-empty", environment="Staging", created_at=new), []),
        audit_project(_project("old-empty", created_at=old, purpose="IoT"), []),
        audit_project(
            _project("broken", environment="Staging", purpose="IoT"),
            [_resource("do:droplet:3", "not_found"), _resource("do:space:s", "service_down")],
        ),
        ProjectAudit(project=_project("gone"), vanished=True),
    )
    return AuditReport(audits, requests=9, seconds=0.5, **options)


def test_audit_report_counts_by_environment_in_the_api_order_and_by_purpose() -> None:
    report = _report()
    assert [(g.name, g.projects, g.resources) for g in report.by_environment()] == [
        ("Staging", 2, 2),
        ("Production", 2, 3),
        ("(none)", 1, 0),
    ]
    purposes = {g.name: (g.projects, g.resources) for g in report.by_purpose()}
    assert purposes == {"IoT": (2, 2), "Web Application": (1, 3), "(none)": (2, 0)}


def test_audit_report_empty_projects_are_oldest_first_and_never_the_default() -> None:
    assert [a.project.name for a in _report().empty()] == ["old-empty", "new-empty"]


def test_audit_report_finds_resources_not_ok_the_default_and_the_largest() -> None:
    report = _report(top=1)
    assert [a.project.name for a in report.not_ok()] == ["broken"]
    assert [r.urn for r in report.not_ok()[0].not_ok] == ["do:droplet:3", "do:space:s"]
    default = report.default()
    assert default is not None
    assert default.project.name == "home"
    assert [a.project.name for a in report.largest()] == ["shop"]
    assert report.resources_by_type() == {"droplet": 3, "space": 1, "volume": 1}
    assert report.resources_by_status() == {"ok": 3, "not_found": 1, "service_down": 1}


def test_audit_report_json_has_every_section() -> None:
    data: Any = _report().as_json()
    assert data["projects"] == 5
    assert data["resources"] == 5
    assert data["default_project"]["project"]["name"] == "home"
    assert [p["name"] for p in data["empty_projects"]] == ["old-empty", "new-empty"]
    assert data["by_environment"][-1] == {"environment": None, "projects": 1, "resources": 0}
    [broken] = data["projects_with_resources_not_ok"]
    assert [r["status"] for r in broken["resources"]] == ["not_found", "service_down"]
    assert data["largest_projects"][0]["resources_by_type"] == {"droplet": 2, "volume": 1}
    assert data["vanished_projects"] == ["id-gone"]
    assert (data["requests"], data["seconds"], data["rate_limit"]) == (9, 0.5, None)


def test_audit_report_plain_text_limits_long_lists() -> None:
    text = _report(limit=1).as_plain(RenderOptions())
    assert "Empty projects, candidates for deletion (2)" in text
    assert "... and 1 more (--limit 0 shows all; --output json lists all)" in text
    assert "Deleted while the audit ran" in text
    assert text.rstrip().endswith("9 requests in 0.50 s")
    everything = _report(limit=0).as_plain(RenderOptions())
    assert "more (--limit" not in everything


# -- gathering against the fake ----------------------------------------------------------


async def _client_counting_concurrency(
    fake: FakeDigitalOcean, peak: list[int]
) -> tuple[aiohttp.ClientSession, do.Client]:
    now = [0]

    async def started(*_: object) -> None:
        now[0] += 1
        peak[0] = max(peak[0], now[0])

    async def ended(*_: object) -> None:
        now[0] -= 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(ended)
    session = aiohttp.ClientSession(trace_configs=[trace])
    return session, do.Client(token=FAKE_TOKEN, base_url=fake.base_url, session=session)


async def gather(
    client: do.Client, *, concurrency: int, progress: _Silent, path: Path
) -> list[ProjectAudit]:
    """Audit one account into a new store and return what it stored, in listing order."""
    async with SQLiteStore(path / "audit.sqlite3") as store:
        run_id = await store.start_run(accounts=["a"], options={})
        job = AccountJob(store, run_id, "a", Filters(), concurrency)
        await audit_account(client, job, progress)
        inventory = await store.inventory(run_id)
    return [
        ProjectAudit(project=s.project, vanished=True)
        if s.vanished
        else audit_project(s.project, s.resources)
        for s in inventory.projects
    ]


async def test_audit_gather_fetches_resources_concurrently_within_the_bound(
    fake: FakeDigitalOcean, tmp_path: Path
) -> None:
    fake.seed(projects=40, resources_per_project=1)
    fake.latency = 0.01
    peak = [0]
    session, client = await _client_counting_concurrency(fake, peak)
    progress = _Silent()
    async with session, client:
        audits = await gather(client, concurrency=4, progress=progress, path=tmp_path)
    assert [a.project.id for a in audits] == list(fake.projects)  # listing order
    assert sum(a.resources for a in audits) == 40
    assert progress.done == 41
    assert progress.totals[:2] == [None, 41]  # unknown before the first page
    assert 2 <= peak[0] <= 4 + 1  # the workers, plus the listing running alongside them
    assert fake.received("projects_list_resources") == 41


async def test_audit_gather_raises_the_failure_itself_not_a_group(
    fake: FakeDigitalOcean, client: do.Client, tmp_path: Path
) -> None:
    fake.seed(projects=10)
    fake.script("projects_list_resources", 200, 200, 403)
    with pytest.raises(do.PermissionDeniedError):
        await gather(client, concurrency=3, progress=_Silent(), path=tmp_path)


async def test_audit_gather_notes_a_project_deleted_while_it_ran(
    fake: FakeDigitalOcean, client: do.Client, tmp_path: Path
) -> None:
    fake.seed(projects=2)
    fake.script("projects_list_resources", 404)
    audits = await gather(client, concurrency=1, progress=_Silent(), path=tmp_path)
    assert [a.vanished for a in audits] == [True, False, False]


# -- the command -------------------------------------------------------------------------


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with fake_in_thread(lambda f: f.seed_demo(projects=120)) as server:
        yield server


def test_cli_audit_json_matches_the_fake_state(
    demo: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, demo, "audit", "-o", "json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    # No progress drawing when stderr is not a terminal: only the estimate and the run's end.
    assert "\r" not in run.err
    assert "\x1b" not in run.err
    assert run.err.startswith("Estimate for default: 121 projects; about 122 requests;")
    assert run.err.endswith("aiodo-projects: Run 1: complete\n")
    assert report["schema_version"] == 2
    assert report["run"]["status"] == "complete"
    assert datetime.fromisoformat(report["generated_at"]).tzinfo is not None
    assert [a["account"] for a in report["accounts"]] == ["default"]
    resources = {pid: demo.resources_of(pid) for pid in demo.projects}
    assert report["projects"] == len(demo.projects) == 121
    assert report["resources"] == sum(len(r) for r in resources.values())
    empty = {pid for pid, r in resources.items() if not r and pid != demo.default_project_id}
    assert {p["id"] for p in report["empty_projects"]} == empty
    assert empty
    not_ok = {pid for pid, rs in resources.items() if any(r["status"] != "ok" for r in rs)}
    assert {e["project"]["id"] for e in report["projects_with_resources_not_ok"]} == not_ok
    assert not_ok
    assert report["default_project"]["project"]["id"] == demo.default_project_id
    environments = [e["environment"] for e in report["by_environment"]]
    assert environments == ["Development", "Staging", "Production"]
    assert len(report["by_purpose"]) >= 9
    assert report["requests"] == demo.received()
    assert report["rate_limit"]["remaining"] == 5000 - demo.received()
    assert report["seconds"] > 0


def test_cli_audit_csv_has_one_row_per_project(
    demo: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, demo, "audit", "--output", "csv")
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert [row["id"] for row in rows] == list(demo.projects)
    assert {int(row["resources"]) for row in rows} >= {0, 1}
    first = rows[1]
    assert int(first["resources"]) == len(demo.resources_of(first["id"]))


def test_cli_audit_plain_text_shows_every_section(
    demo: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, demo, "audit", "--top", "3", "--concurrency", "2")
    assert run.code == 0
    lines = run.out.splitlines()
    total = sum(len(demo.resources_of(p)) for p in demo.projects)
    assert lines[0] == f"Audit of 121 projects and {total:,} resources"
    for heading in (
        "By environment",
        "By purpose",
        "Largest projects (top 3)",
        "Empty projects, candidates for deletion",
        "Resources not ok (",
    ):
        assert any(line.startswith(heading) for line in lines), heading
    assert lines[2].startswith(f"Default project: Default ({demo.default_project_id})")
    assert lines[-2].startswith(f"{demo.received()} requests in ")
    assert lines[-1] == "Run 1: complete"
    assert TOKEN not in run.out


def test_cli_fake_audit_runs_on_the_demo_data(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    run = run_main(capsys, None, "--fake", "audit", "-o", "json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["projects"] == 301
    assert len(report["by_environment"]) == 3
    assert len(report["by_purpose"]) >= 9
    assert len(report["resources_by_type"]) >= 5
    assert report["empty_projects"]
    assert report["projects_with_resources_not_ok"]
    assert report["default_project"] is not None

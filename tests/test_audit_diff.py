"""Audit diff: two runs stored with scripted changes in between report exactly those."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

import attrs

import aiodo_projects as do
from aiodo_projects.cli._diff import HEADERS, diff_runs
from aiodo_projects.cli._sqlite_store import SQLiteStore

if TYPE_CHECKING:
    from pathlib import Path

    from aiodo_projects.cli._store import Inventory

State = dict[str, dict[do.Project, list[do.Resource]]]  # account -> project -> resources


def _project(n: int) -> do.Project:
    return do.Project(
        id=f"00000000-0000-4000-8000-{n:012d}",
        name=f"project-{n}",
        purpose="Web Application",
        environment=do.Environment.STAGING,
        is_default=n == 0,
    )


def _resource(kind: str, n: int, status: str = "ok") -> do.Resource:
    return do.Resource(urn=f"do:{kind}:{n}", status=do.ResourceStatus(status))


def _base() -> State:
    return {
        "prod": {
            _project(n): [_resource("droplet", 10 * n + i) for i in range(3)] for n in range(5)
        },
        "lab": {_project(100): [_resource("volume", 1)]},
    }


async def _store_run(
    store: SQLiteStore, state: State, *, unfinished: frozenset[str] = frozenset()
) -> Inventory:
    run_id = await store.start_run(accounts=list(state), options={})
    for account, projects in state.items():
        await store.add_projects(run_id, account, list(projects), total=len(projects))
        for project, resources in projects.items():
            if project.id not in unfinished:
                await store.finish_project(run_id, account, project.id, resources)
        await store.finish_account(run_id, account, "complete")
    await store.finish_run(run_id, "partial" if unfinished else "complete")
    return await store.inventory(run_id)


def _with(state: State, account: str, project: do.Project, resources: list[do.Resource]) -> None:
    state[account][project] = resources


async def test_diff_runs_reports_exactly_the_scripted_changes(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "audit.sqlite3") as store:
        old = await _store_run(store, _base())
        state = _base()
        prod = state["prod"]
        p = {n: _project(n) for n in range(7)}
        # The script: rename 1, move 2 to Production and another purpose, delete 3, add 6,
        # make 4 the default instead of 0; move droplet 1 from project 0 to project 4, take
        # droplet 2's status to service_down, remove droplet 40, add a volume to project 6.
        r0 = prod.pop(p[0])
        prod[attrs.evolve(p[0], is_default=False)] = [
            r0[0],
            _resource("droplet", 2, "service_down"),
        ]
        r1 = prod.pop(p[1])
        prod[attrs.evolve(p[1], name="renamed")] = r1
        r2 = prod.pop(p[2])
        prod[attrs.evolve(p[2], environment=do.Environment.PRODUCTION, purpose="Ops")] = r2
        del prod[p[3]]
        r4 = prod.pop(p[4])
        prod[attrs.evolve(p[4], is_default=True)] = [*r4[1:], r0[1]]
        _with(state, "prod", p[6], [_resource("volume", 9)])
        new = await _store_run(store, state)

    result = diff_runs(old, new)

    assert (result.old_run, result.new_run, result.unknown) == (old.run.id, new.run.id, 0)
    assert result.rows() == [
        ("prod", "project", "removed", p[3].id, "project-3", "", "", ""),
        ("prod", "project", "changed", p[0].id, "project-0", "is_default", "true", "false"),
        ("prod", "project", "changed", p[1].id, "renamed", "name", "project-1", "renamed"),
        ("prod", "project", "changed", p[2].id, "project-2", "environment", "Staging", "Production"),  # noqa: E501
        ("prod", "project", "changed", p[2].id, "project-2", "purpose", "Web Application", "Ops"),
        ("prod", "project", "changed", p[4].id, "project-4", "is_default", "false", "true"),
        ("prod", "project", "added", p[6].id, "project-6", "", "", ""),
        *(
            ("prod", "resource", "removed", f"do:droplet:{n}", "droplet", "project", "project-3", "")  # noqa: E501
            for n in (30, 31, 32)
        ),
        ("prod", "resource", "removed", "do:droplet:40", "droplet", "project", "project-4", ""),
        ("prod", "resource", "status", "do:droplet:2", "droplet", "status", "ok", "service_down"),
        ("prod", "resource", "moved", "do:droplet:1", "droplet", "project", "project-0", "project-4"),  # noqa: E501
        ("prod", "resource", "added", "do:volume:9", "volume", "project", "", "project-6"),
    ]  # fmt: skip
    assert not [row for row in result.rows() if row[0] == "lab"]


async def test_diff_runs_as_json_and_csv(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "audit.sqlite3") as store:
        old = await _store_run(store, _base())
        state = _base()
        moved = state["prod"][_project(0)].pop()
        state["prod"][_project(1)].append(attrs.evolve(moved, status=do.ResourceStatus.NOT_FOUND))
        renamed = attrs.evolve(_project(100), environment=None)
        state["lab"] = {renamed: state["lab"][_project(100)]}
        new = await _store_run(store, state)

    result = diff_runs(old, new)
    body = json.loads(json.dumps(result.as_json()))
    assert body["projects"] == [
        {
            "account": "lab",
            "change": "changed",
            "project": renamed.to_dict(),
            "fields": {"environment": {"old": "Staging", "new": None}},
        }
    ]
    assert [
        (r["change"], r["urn"], r["old_status"], r["new_status"]) for r in body["resources"]
    ] == [
        ("moved", "do:droplet:2", "ok", "not_found"),
        ("status", "do:droplet:2", "ok", "not_found"),
    ]
    assert body["resources"][0]["old_project_id"] == _project(0).id
    assert body["resources"][0]["new_project_id"] == _project(1).id
    text = io.StringIO()
    csv.writer(text).writerows(result.as_csv())
    parsed = list(csv.reader(io.StringIO(text.getvalue())))
    assert parsed[0] == list(HEADERS)
    assert parsed[2] == ["prod", "resource", "moved", "do:droplet:2", "droplet", "project",
                         "project-0", "project-1"]  # fmt: skip
    assert parsed[1] == ["lab", "project", "changed", _project(100).id, "project-100",
                         "environment", "Staging", ""]  # fmt: skip


async def test_diff_runs_of_identical_runs_is_empty(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "audit.sqlite3") as store:
        old = await _store_run(store, _base())
        new = await _store_run(store, _base())
    result = diff_runs(old, new)
    assert (result.projects, result.resources, result.rows()) == ((), (), [])


async def test_diff_runs_leaves_out_projects_a_partial_run_did_not_finish(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "audit.sqlite3") as store:
        old = await _store_run(store, _base())
        state = _base()
        state["prod"][_project(2)] = []  # its resources are gone, but this run never saw that
        state["prod"][_project(3)][0] = _resource("droplet", 30, "service_down")
        new = await _store_run(store, state, unfinished=frozenset({_project(2).id}))
    result = diff_runs(old, new)
    assert result.unknown == 1
    assert [(r.change, r.urn) for r in result.resources] == [("status", "do:droplet:30")]


async def test_diff_runs_treats_a_vanished_project_as_removed_and_new_accounts_as_added(
    tmp_path: Path,
) -> None:
    async with SQLiteStore(tmp_path / "audit.sqlite3") as store:
        old = await _store_run(store, {"prod": {_project(1): [], _project(2): []}})
        run_id = await store.start_run(accounts=["prod", "new"], options={})
        await store.add_projects(run_id, "prod", [_project(1), _project(2)], total=2)
        await store.finish_project(run_id, "prod", _project(1).id, [])
        await store.finish_project(run_id, "prod", _project(2).id, [], vanished=True)
        await store.add_projects(run_id, "new", [_project(9)], total=1)
        await store.finish_project(run_id, "new", _project(9).id, [_resource("droplet", 5)])
        new = await store.inventory(run_id)
    rows = diff_runs(old, new).rows()
    assert rows == [
        ("prod", "project", "removed", _project(2).id, "project-2", "", "", ""),
        ("new", "project", "added", _project(9).id, "project-9", "", "", ""),
        ("new", "resource", "added", "do:droplet:5", "droplet", "project", "", "project-9"),
    ]

"""The audit store: SQLite files in tmp_path, resume queries, schema versions, crash safety."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

import aiodo_projects as do
from aiodo_projects.cli._sqlite_schema import SCHEMA_VERSION, migrate
from aiodo_projects.cli._sqlite_store import SQLiteStore
from aiodo_projects.cli._store import StoreError, default_db_path

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _project(n: int, **changes: object) -> do.Project:
    project = do.Project(
        id=f"00000000-0000-4000-8000-{n:012d}",
        name=f"project-{n}",
        owner_uuid="owner-uuid",
        owner_id=42,
        description=f"number {n}",
        purpose="Web Application",
        environment=do.Environment.PRODUCTION,
        is_default=n == 0,
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2024, 6, 7, 8, 9, 10, tzinfo=UTC),
    )
    return attrs.evolve(project, **changes)  # type: ignore[arg-type]


def _resource(n: int, status: str = "ok") -> do.Resource:
    return do.Resource(
        urn=f"do:droplet:{n}",
        assigned_at=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
        links=do.ResourceLinks(self_=f"https://api.digitalocean.com/v2/droplets/{n}"),
        status=do.ResourceStatus(status) if status in set(do.ResourceStatus) else status,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "audit.sqlite3") as opened:
        yield opened


async def test_sqlite_store_round_trips_projects_and_resources_in_listing_order(
    store: SQLiteStore,
) -> None:
    run_id = await store.start_run(accounts=["prod", "dev"], options={"environment": "Staging"})
    projects = [_project(3), _project(1, environment="Future"), _project(2, environment=None)]
    await store.add_projects(run_id, "prod", projects[:2], total=3)
    await store.add_projects(run_id, "prod", projects[2:], total=3)
    await store.finish_listing(run_id, "prod")
    resources = [_resource(9), _resource(5, "service_down"), _resource(7, "brand_new")]
    await store.finish_project(run_id, "prod", projects[0].id, resources)
    await store.finish_project(run_id, "prod", projects[1].id, [], vanished=True)
    await store.add_projects(run_id, "dev", [_project(4)], total=1)

    inventory = await store.inventory(run_id)

    assert [s.project for s in inventory.of("prod")] == projects
    assert [s.project for s in inventory.of("dev")] == [_project(4)]
    first, second, third = inventory.of("prod")
    assert first.resources == tuple(resources)
    assert (first.finished, second.finished, second.vanished, third.finished) == (
        True,
        True,
        True,
        False,
    )
    assert second.project.environment == "Future"
    prod, dev = inventory.run.accounts
    assert (prod.name, prod.total, prod.listed, prod.projects, prod.finished) == (
        "prod",
        3,
        True,
        3,
        2,
    )
    assert (prod.resources, dev.listed, dev.total) == (3, False, 1)
    assert inventory.run.options == {"environment": "Staging"}
    assert (inventory.run.projects, inventory.run.resources) == (4, 3)


async def test_sqlite_store_resume_lists_only_unfinished_projects(store: SQLiteStore) -> None:
    run_id = await store.start_run(accounts=["prod"], options={})
    projects = [_project(n) for n in range(5)]
    await store.add_projects(run_id, "prod", projects, total=5)
    await store.finish_project(run_id, "prod", projects[1].id, [_resource(1)])
    await store.finish_project(run_id, "prod", projects[3].id, [_resource(3)])

    assert await store.unfinished_projects(run_id, "prod") == [
        projects[0],
        projects[2],
        projects[4],
    ]
    # Resuming lists the projects again: finished ones stay finished, new ones are appended.
    renamed = _project(1, purpose="Renamed")
    await store.add_projects(run_id, "prod", [renamed, _project(5)], total=6)
    assert await store.unfinished_projects(run_id, "prod") == [
        projects[0],
        projects[2],
        projects[4],
        _project(5),
    ]
    # Finishing a project again replaces its resources rather than adding to them.
    await store.finish_project(run_id, "prod", projects[3].id, [_resource(30), _resource(30)])
    inventory = await store.inventory(run_id)
    by_id = {s.project.id: s for s in inventory.projects}
    assert by_id[projects[3].id].resources == (_resource(30),)
    assert by_id[renamed.id].project == renamed
    assert [s.project.id for s in inventory.projects][-1] == _project(5).id


async def test_sqlite_store_run_queries(store: SQLiteStore) -> None:
    assert await store.latest_run() is None
    assert await store.last_complete_runs() == []
    first = await store.start_run(accounts=["a"], options={}, started_at=WHEN)
    second = await store.start_run(accounts=["a"], options={})
    third = await store.start_run(accounts=["a"], options={})
    fourth = await store.start_run(accounts=["a"], options={})
    for run_id in (first, second, fourth):
        await store.finish_run(run_id, "complete", finished_at=WHEN)
    await store.finish_run(third, "failed")

    latest = await store.latest_run()
    assert latest is not None
    assert latest.id == fourth
    assert [run.id for run in await store.last_complete_runs()] == [second, fourth]
    assert [run.id for run in await store.runs()] == [fourth, third, second, first]
    info = await store.run(first)
    assert info is not None
    assert (info.started_at, info.finished_at, info.status) == (WHEN, WHEN, "complete")
    assert info.account_names == ("a",)
    assert await store.run(99) is None


async def test_sqlite_store_a_new_run_is_partial_until_finished(store: SQLiteStore) -> None:
    run_id = await store.start_run(accounts=["a"], options={})
    info = await store.run(run_id)
    assert info is not None
    assert (info.status, info.finished_at) == ("partial", None)
    await store.finish_account(run_id, "a", "failed", "401: the token was refused")
    info = await store.run(run_id)
    assert info is not None
    assert (info.accounts[0].status, info.accounts[0].error) == (
        "failed",
        "401: the token was refused",
    )


async def test_sqlite_store_refuses_writes_that_do_not_fit_the_run(store: SQLiteStore) -> None:
    run_id = await store.start_run(accounts=["a"], options={})
    with pytest.raises(StoreError, match="no account 'b'"):
        await store.add_projects(run_id, "b", [_project(1)], total=1)
    with pytest.raises(StoreError, match="no project"):
        await store.finish_project(run_id, "a", "missing", [])
    with pytest.raises(StoreError, match="no account 'b'"):
        await store.finish_listing(run_id, "b")
    with pytest.raises(StoreError, match="no account 'b'"):
        await store.unfinished_projects(run_id, "b")
    with pytest.raises(StoreError, match="no run 7"):
        await store.finish_run(7, "complete")
    with pytest.raises(StoreError, match="no run 7"):
        await store.inventory(7)
    with pytest.raises(StoreError, match="one of complete, partial, failed"):
        await store.finish_run(run_id, "done")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="must differ"):
        await store.start_run(accounts=["a", "a"], options={})


async def test_sqlite_store_one_failing_write_does_not_undo_the_others(
    store: SQLiteStore,
) -> None:
    run_id = await store.start_run(accounts=["a"], options={})
    projects = [_project(n) for n in range(50)]
    await store.add_projects(run_id, "a", projects, total=50)
    # Queued together, these run in one transaction; the bad one rolls back alone.
    writes = [
        store.finish_project(run_id, "a", p.id, [_resource(n)]) for n, p in enumerate(projects)
    ]
    writes.insert(25, store.finish_project(run_id, "a", "missing", [_resource(1)]))
    results = await asyncio.gather(*writes, return_exceptions=True)
    assert [type(r) for r in results if r is not None] == [StoreError]
    assert await store.unfinished_projects(run_id, "a") == []
    inventory = await store.inventory(run_id)
    assert sum(len(s.resources) for s in inventory.projects) == 50


async def test_sqlite_store_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "audit.sqlite3"
    async with SQLiteStore(path) as store:
        await store.start_run(accounts=["a"], options={})
        assert repr(store) == f"SQLiteStore({str(path)!r})"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)
        ]
    connection.close()


async def test_sqlite_store_keeps_runs_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    async with SQLiteStore(path) as store:
        run_id = await store.start_run(accounts=["a"], options={})
        await store.add_projects(run_id, "a", [_project(1)], total=1)
    async with SQLiteStore(path) as store:
        assert await store.unfinished_projects(run_id, "a") == [_project(1)]


def test_migrate_applies_missing_steps_once_and_records_the_version(tmp_path: Path) -> None:
    applied: list[int] = []

    def step(number: int) -> object:
        def run(connection: sqlite3.Connection) -> None:
            applied.append(number)
            connection.execute(f"CREATE TABLE t{number} (x)")

        return run

    connection = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    try:
        assert migrate(connection, [step(1)]) == 0  # type: ignore[list-item]
        assert migrate(connection, [step(1), step(2)]) == 1  # type: ignore[list-item]
        assert migrate(connection, [step(1), step(2)]) == 2  # type: ignore[list-item]
        assert applied == [1, 2]
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (2,)
    finally:
        connection.close()


def test_migrate_rolls_a_failing_step_back(tmp_path: Path) -> None:
    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE half (x)")
        raise RuntimeError("step failed")

    connection = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    try:
        with pytest.raises(RuntimeError):
            migrate(connection, [broken])
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
        assert tables == []
    finally:
        connection.close()


async def test_sqlite_store_refuses_a_file_from_a_newer_release(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    async with SQLiteStore(path):
        pass
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    connection.close()
    store = SQLiteStore(path)
    with pytest.raises(StoreError, match=r"audit.sqlite3: .*schema version 2, newer"):
        await store.open()
    with pytest.raises(StoreError, match="is not open"):
        await store.latest_run()


async def test_sqlite_store_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the tables you are looking for\n" * 100)
    with pytest.raises(StoreError, match=r"cannot open the audit database .*notes\.txt"):
        await SQLiteStore(path).open()


async def test_sqlite_store_close_is_idempotent_and_ends_use(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "audit.sqlite3")
    await store.aclose()  # never opened: nothing to do
    await store.open()
    await store.open()  # already open: nothing to do
    await store.aclose()
    await store.aclose()
    with pytest.raises(StoreError, match="is not open"):
        await store.start_run(accounts=["a"], options={})


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {}, "/home/u/.local/share/aiodo-projects/audit.sqlite3"),
        ("linux", {"XDG_DATA_HOME": "/data"}, "/data/aiodo-projects/audit.sqlite3"),
        # The XDG specification says a relative value is invalid and must be ignored.
        ("linux", {"XDG_DATA_HOME": "rel"}, "/home/u/.local/share/aiodo-projects/audit.sqlite3"),
        ("freebsd14", {}, "/home/u/.local/share/aiodo-projects/audit.sqlite3"),
        ("darwin", {}, "/home/u/Library/Application Support/aiodo-projects/audit.sqlite3"),
        ("win32", {"LOCALAPPDATA": "/lad"}, "/lad/aiodo-projects/audit.sqlite3"),
        ("win32", {}, "/home/u/AppData/Local/aiodo-projects/audit.sqlite3"),
    ],
)
def test_default_db_path_is_in_the_user_data_directory(
    platform: str, environ: dict[str, str], expected: str
) -> None:
    path = default_db_path(platform=platform, environ=environ, home=Path("/home/u"))
    assert path == Path(expected)


def test_default_db_path_defaults_to_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "/somewhere")
    expected = Path("/somewhere/aiodo-projects/audit.sqlite3")
    assert default_db_path(platform="linux") == expected


# The writer acknowledges a page of projects (and every one of their resources) by printing
# its number once the awaits returned; the test kills it with SIGKILL while it keeps writing.
_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    import aiodo_projects as do
    from aiodo_projects.cli._sqlite_store import SQLiteStore

    async def main():
        async with SQLiteStore(Path(sys.argv[1])) as store:
            run_id = await store.start_run(accounts=["a"], options={})
            for page in range(10_000):
                projects = [do.Project(id=f"{page}-{n}", name=f"p{page}-{n}") for n in range(20)]
                await store.add_projects(run_id, "a", projects, total=0)
                resources = [do.Resource(urn=f"do:volume:{m}", status="ok") for m in range(10)]
                await asyncio.gather(
                    *(store.finish_project(run_id, "a", p.id, resources) for p in projects)
                )
                print(page, flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
async def test_sqlite_store_loses_nothing_acknowledged_when_killed_mid_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.sqlite3"
    writer = subprocess.Popen(  # noqa: ASYNC220, S603 - the test drives its own child
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    acknowledged = -1
    try:
        while acknowledged < 15:
            line = writer.stdout.readline()
            assert line, "the writer stopped before it was killed"
            acknowledged = int(line)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    async with SQLiteStore(path) as store:
        run = await store.latest_run()
        assert run is not None
        assert run.status == "partial"  # it never finished
        inventory = await store.inventory(run.id)
    finished = {s.project.id for s in inventory.projects if s.finished}
    for page in range(acknowledged + 1):
        for n in range(20):
            assert f"{page}-{n}" in finished
    assert all(len(s.resources) == 10 for s in inventory.projects if s.finished)
    assert all(not s.resources for s in inventory.projects if not s.finished)


async def test_sqlite_store_fails_every_write_of_a_transaction_that_cannot_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.sqlite3"
    async with SQLiteStore(path, busy_timeout=0.05) as store:
        run_id = await store.start_run(accounts=["a"], options={})
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process is writing
            with pytest.raises(StoreError, match="database is locked"):
                await store.finish_listing(run_id, "a")
            other.execute("ROLLBACK")
        finally:
            other.close()
        await store.finish_listing(run_id, "a")  # the lock is gone: writes work again
        info = await store.run(run_id)
    assert info is not None
    assert info.accounts[0].listed


async def test_sqlite_store_close_finishes_the_queued_writes(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    run_id = await store.start_run(accounts=["a"], options={})
    projects = [_project(n) for n in range(700)]  # more than one transaction takes
    await store.add_projects(run_id, "a", projects, total=700)
    writes = [
        asyncio.ensure_future(store.finish_project(run_id, "a", p.id, [_resource(n)]))
        for n, p in enumerate(projects)
    ]
    await asyncio.sleep(0)
    await store.aclose()
    await asyncio.gather(*writes)
    async with SQLiteStore(path) as reopened:
        assert await reopened.unfinished_projects(run_id, "a") == []


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", "{not json"),
        ("data", '{"id": "x"}'),
        ("data", '{"id": "x", "name": "n", "owner_id": "7"}'),
        ("data", '{"id": "x", "name": "n", "created_at": 5}'),
    ],
)
async def test_sqlite_store_reports_an_unreadable_project(
    tmp_path: Path, column: str, value: str
) -> None:
    path = tmp_path / "audit.sqlite3"
    async with SQLiteStore(path) as store:
        run_id = await store.start_run(accounts=["a"], options={})
        await store.add_projects(run_id, "a", [_project(1)], total=1)
    with sqlite3.connect(path) as connection:
        connection.execute(f"UPDATE projects SET {column} = ?", (value,))  # noqa: S608
    connection.close()
    async with SQLiteStore(path) as store:
        with pytest.raises(StoreError, match="a stored project is unreadable"):
            await store.inventory(run_id)
        with pytest.raises(StoreError, match="a stored project is unreadable"):
            await store.unfinished_projects(run_id, "a")


@pytest.mark.parametrize("assigned_at", ["yesterday", "2024-01-02T03:04:05"])
async def test_sqlite_store_reports_an_unreadable_resource(
    tmp_path: Path, assigned_at: object
) -> None:
    path = tmp_path / "audit.sqlite3"
    async with SQLiteStore(path) as store:
        run_id = await store.start_run(accounts=["a"], options={})
        await store.add_projects(run_id, "a", [_project(1)], total=1)
        await store.finish_project(run_id, "a", _project(1).id, [_resource(1)])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE resources SET assigned_at = ?", (assigned_at,))
    connection.close()
    async with SQLiteStore(path) as store:
        with pytest.raises(StoreError, match="a stored resource is unreadable"):
            await store.inventory(run_id)

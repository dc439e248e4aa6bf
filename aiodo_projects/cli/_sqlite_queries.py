"""The SQL of the audit store: plain functions of a connection, run on the store's thread.

Each function is one job of :class:`~aiodo_projects.cli._sqlite_store.SQLiteStore`, run
inside the transaction (and savepoint) the store opened for it, so none commits itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, cast

from aiodo_projects.cli._store import (
    AccountRun,
    Inventory,
    RunInfo,
    RunStatus,
    StoredProject,
    StoreError,
    project_from_json,
    resource_from_row,
)

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

    import aiodo_projects as do

__all__ = [
    "add_projects",
    "all_runs",
    "finish_project",
    "finish_run",
    "inventory",
    "last_complete_runs",
    "latest_run",
    "run_info",
    "unfinished_projects",
    "update_account",
]

_ProjectRow = tuple[int, str, str, str]
_ResourceRow = tuple[str, str, str | None, object, str | None]


def _known_account(connection: sqlite3.Connection, run_id: int, account: str) -> None:
    found = connection.execute(
        "SELECT 1 FROM run_accounts WHERE run_id = ? AND account = ?", (run_id, account)
    ).fetchone()
    if found is None:
        raise StoreError(f"run {run_id} has no account {account!r}")


def add_projects(
    connection: sqlite3.Connection,
    run_id: int,
    account: str,
    rows: list[_ProjectRow],
    total: int,
) -> None:
    """Upsert listed projects; new ones go after those already stored, in the given order."""
    _known_account(connection, run_id, account)
    (start,) = connection.execute(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM projects WHERE run_id = ? AND account = ?",
        (run_id, account),
    ).fetchone()
    connection.executemany(
        "INSERT INTO projects (run_id, account, id, data, position) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (run_id, account, id) DO UPDATE SET data = excluded.data",
        [(*row, start + index) for index, row in enumerate(rows)],
    )
    update_account(connection, run_id, account, total=total)


def update_account(
    connection: sqlite3.Connection, run_id: int, account: str, **columns: object
) -> None:
    """Set some of an account's columns (``total``, ``listed``, ``status``, ``error``)."""
    assignments = ", ".join(f"{name} = ?" for name in columns)  # names come from this package
    cursor = connection.execute(
        f"UPDATE run_accounts SET {assignments} WHERE run_id = ? AND account = ?",  # noqa: S608
        (*columns.values(), run_id, account),
    )
    if cursor.rowcount == 0:
        raise StoreError(f"run {run_id} has no account {account!r}")


def finish_project(
    connection: sqlite3.Connection,
    run_id: int,
    account: str,
    project_id: str,
    rows: list[_ResourceRow],
    *,
    vanished: bool,
) -> None:
    """Replace a project's resources and mark it finished."""
    cursor = connection.execute(
        "UPDATE projects SET finished = 1, vanished = ?"
        " WHERE run_id = ? AND account = ? AND id = ?",
        (int(vanished), run_id, account, project_id),
    )
    if cursor.rowcount == 0:
        raise StoreError(f"run {run_id} has no project {project_id!r} in account {account!r}")
    key = (run_id, account, project_id)
    connection.execute(
        "DELETE FROM resources WHERE run_id = ? AND account = ? AND project_id = ?", key
    )
    # A resource listed twice (the listing moved under the paginator) is kept once, first seen.
    connection.executemany(
        "INSERT OR IGNORE INTO resources"
        " (run_id, account, project_id, urn, type, status, assigned_at, link)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*key, *row) for row in rows],
    )


def finish_run(connection: sqlite3.Connection, run_id: int, status: str, stamp: str) -> None:
    """Set a run's final status and time."""
    cursor = connection.execute(
        "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, stamp, run_id)
    )
    if cursor.rowcount == 0:
        raise StoreError(f"there is no run {run_id}")


def _accounts(connection: sqlite3.Connection, run_id: int) -> tuple[AccountRun, ...]:
    rows = connection.execute(
        "SELECT a.account, a.total, a.listed, a.status, a.error,"
        " (SELECT COUNT(*) FROM projects p WHERE p.run_id = a.run_id AND p.account = a.account),"
        " (SELECT COUNT(*) FROM projects p"
        "   WHERE p.run_id = a.run_id AND p.account = a.account AND p.finished),"
        " (SELECT COUNT(*) FROM resources r WHERE r.run_id = a.run_id AND r.account = a.account)"
        " FROM run_accounts a WHERE a.run_id = ? ORDER BY a.position",
        (run_id,),
    ).fetchall()
    return tuple(
        AccountRun(
            name=name,
            total=total,
            listed=bool(listed),
            projects=projects,
            finished=finished,
            resources=resources,
            status=cast("RunStatus", status),
            error=error,
        )
        for name, total, listed, status, error, projects, finished, resources in rows
    )


def run_info(connection: sqlite3.Connection, run_id: int) -> RunInfo | None:
    """Return a run with its per-account counts."""
    row = connection.execute(
        "SELECT id, started_at, finished_at, status, options FROM runs WHERE id = ?", (run_id,)
    ).fetchone()
    if row is None:
        return None
    found, started_at, finished_at, status, options = row
    return RunInfo(
        id=found,
        started_at=datetime.fromisoformat(started_at),
        finished_at=None if finished_at is None else datetime.fromisoformat(finished_at),
        status=status,
        accounts=_accounts(connection, found),
        options=json.loads(options),
    )


def _runs(connection: sqlite3.Connection, sql: str, *args: object) -> list[RunInfo]:
    ids = [run_id for (run_id,) in connection.execute(sql, args)]
    return [info for run_id in ids if (info := run_info(connection, run_id)) is not None]


def latest_run(connection: sqlite3.Connection) -> RunInfo | None:
    """Return the most recently started run."""
    found = _runs(connection, "SELECT id FROM runs ORDER BY id DESC LIMIT 1")
    return found[0] if found else None


def all_runs(connection: sqlite3.Connection) -> list[RunInfo]:
    """Return every run, newest first."""
    return _runs(connection, "SELECT id FROM runs ORDER BY id DESC")


def last_complete_runs(connection: sqlite3.Connection, count: int) -> list[RunInfo]:
    """Return the ``count`` most recent complete runs, oldest first."""
    sql = "SELECT id FROM runs WHERE status = 'complete' ORDER BY id DESC LIMIT ?"
    return _runs(connection, sql, count)[::-1]


def _project(data: str, where: str) -> do.Project:
    try:
        return project_from_json(json.loads(data))
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"{where}: a stored project is unreadable ({exc!r})") from exc


def unfinished_projects(
    connection: sqlite3.Connection, run_id: int, account: str
) -> list[do.Project]:
    """Return the account's listed projects not finished yet, in listing order."""
    _known_account(connection, run_id, account)
    rows = connection.execute(
        "SELECT data FROM projects WHERE run_id = ? AND account = ? AND NOT finished"
        " ORDER BY position",
        (run_id, account),
    )
    return [_project(data, f"run {run_id}") for (data,) in rows]


def inventory(connection: sqlite3.Connection, run_id: int, path: Path) -> Inventory:
    """Return every project of a run with its resources, accounts in run order."""
    run = run_info(connection, run_id)
    if run is None:
        raise StoreError(f"the audit database {path} has no run {run_id}")
    resources: defaultdict[tuple[str, str], list[do.Resource]] = defaultdict(list)
    for account, project_id, urn, status, assigned_at, link in connection.execute(
        "SELECT account, project_id, urn, status, assigned_at, link FROM resources"
        " WHERE run_id = ? ORDER BY rowid",
        (run_id,),
    ):
        try:
            resource = resource_from_row(urn, assigned_at, status, link)
        except (ValueError, TypeError) as exc:
            raise StoreError(f"{path} run {run_id}: a stored resource is unreadable") from exc
        resources[account, project_id].append(resource)
    projects = connection.execute(
        "SELECT p.account, p.id, p.data, p.finished, p.vanished FROM projects p"
        " JOIN run_accounts a ON a.run_id = p.run_id AND a.account = p.account"
        " WHERE p.run_id = ? ORDER BY a.position, p.position",
        (run_id,),
    )
    stored = tuple(
        StoredProject(
            account=account,
            project=_project(data, f"{path} run {run_id}"),
            resources=tuple(resources.get((account, project_id), ())),
            finished=bool(finished),
            vanished=bool(vanished),
        )
        for account, project_id, data, finished, vanished in projects
    )
    return Inventory(run=run, projects=stored)

"""The audit database's tables, and the migrations that bring an older file up to date.

Schema (version 1)::

    schema_version(version)                  one row: the schema the file is at
    runs(id, started_at, finished_at, status, accounts, options)
        status is complete, partial or failed; a run starts partial, so one whose
        process died stays partial. accounts is a JSON array, options a JSON object
        (the filters and settings the run was started with). Times are ISO 8601, UTC.
    run_accounts(run_id, account, position, total, listed, status, error)
        one row per account of a run: meta.total as last seen, whether every page
        of projects was stored, and how that account's audit ended.
    projects(run_id, account, id, position, data, finished, vanished)
        data is the project as the API's JSON; position is the listing order;
        finished says its resources are stored, so a resumed run skips it.
    resources(run_id, account, project_id, urn, type, status, assigned_at, link)
        in the API's order (rowid); replaced as a whole when a project is finished.

``MIGRATIONS[n]`` takes a file from version ``n`` to ``n + 1``; opening a
file applies the missing ones in one transaction. A file from a newer release is refused
rather than guessed at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiodo_projects.cli._store import StoreError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

_SCHEMA_V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('complete', 'partial', 'failed')),
    accounts TEXT NOT NULL,
    options TEXT NOT NULL
);
CREATE TABLE run_accounts (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    position INTEGER NOT NULL,
    total INTEGER,
    listed INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'partial' CHECK (status IN ('complete', 'partial', 'failed')),
    error TEXT,
    PRIMARY KEY (run_id, account)
);
CREATE TABLE projects (
    run_id INTEGER NOT NULL,
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    vanished INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, account, id),
    FOREIGN KEY (run_id, account) REFERENCES run_accounts (run_id, account) ON DELETE CASCADE
);
CREATE TABLE resources (
    run_id INTEGER NOT NULL,
    account TEXT NOT NULL,
    project_id TEXT NOT NULL,
    urn TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT,
    assigned_at TEXT,
    link TEXT,
    PRIMARY KEY (run_id, account, project_id, urn),
    FOREIGN KEY (run_id, account, project_id)
        REFERENCES projects (run_id, account, id) ON DELETE CASCADE
);
"""


def _create_v1(connection: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V1.split(";"):
        if statement.strip():
            connection.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_create_v1,)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(
    connection: sqlite3.Connection,
    migrations: Sequence[Callable[[sqlite3.Connection], None]] = MIGRATIONS,
) -> int:
    """Bring the file to the newest schema in one transaction; return the version it was at."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = connection.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            connection.execute("INSERT INTO schema_version (version) VALUES (0)")
        found = 0 if row is None else int(row[0])
        _check_known(found, len(migrations))
        for step in migrations[found:]:
            step(connection)
        connection.execute("UPDATE schema_version SET version = ?", (len(migrations),))
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return found


def _check_known(found: int, known: int) -> None:
    if found > known:
        raise StoreError(
            f"the audit database has schema version {found}, newer than this release"
            f" knows ({known}): upgrade aiodo-projects or choose another --db"
        )

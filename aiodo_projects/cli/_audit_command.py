"""``aiodo-projects audit``: the accounts, the store, the estimate, the job and its report.

Accounts come from ``--accounts FILE`` or repeated ``--token-env VAR``; otherwise the one
token of ``--token`` or ``DIGITALOCEAN_TOKEN`` is an account named ``default``. With
``--fake``, ``--fake-accounts N`` fake accounts (``fake-1``...) are served by one in-process
fake, each with its own demo data (the same on every run, so ``--resume`` works on it too)
and its own limits; their runs go to a database of their own beside the real one, so demo
runs never mix with real history.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

import aiodo_projects as do
from aiodo_projects.cli._accounts import Account, from_token_env, load_accounts
from aiodo_projects.cli._audit import PER_PAGE, Filters, check_concurrency
from aiodo_projects.cli._connect import (
    DEFAULT_BASE_URL,
    DEMO_PROJECTS,
    SharedLimits,
    resolve_token,
)
from aiodo_projects.cli._diff import diff_runs
from aiodo_projects.cli._errors import EXIT_USAGE, TOKEN_HINT, CLIError
from aiodo_projects.cli._estimate import Estimate, estimate
from aiodo_projects.cli._history import DiffOutput, ExportOutput, history_table
from aiodo_projects.cli._job import Opened, Pacing, open_accounts, run_job
from aiodo_projects.cli._run_report import RunReport
from aiodo_projects.cli._sqlite_store import SQLiteStore
from aiodo_projects.cli._store import default_db_path
from aiodo_projects.cli._visible import visible

if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import AsyncIterator, Sequence

    from rich.console import RenderableType

    from aiodo_projects.cli._output import Output
    from aiodo_projects.cli._store import AuditStore, Inventory, RunInfo

__all__ = ["AUDIT_COMMANDS", "db_path"]

FAKE_DB: Final = "audit-fake.sqlite3"


def db_path(args: Namespace) -> Path:
    """Return ``--db``, or the default database (a separate one for ``--fake``)."""
    if args.db is not None:
        return Path(args.db)
    path = default_db_path()
    return path.with_name(FAKE_DB) if args.fake else path


@contextlib.asynccontextmanager
async def _accounts(args: Namespace) -> AsyncIterator[list[tuple[Account, str]]]:
    """Yield each account with the API origin it is audited at."""
    if args.fake:
        if args.base_url is not None or args.accounts is not None or args.token_env:
            raise CLIError("--fake excludes --base-url, --accounts and --token-env", EXIT_USAGE)
        from aiodo_projects.testing import FakeDigitalOcean  # noqa: PLC0415 - only --fake

        if args.fake_accounts < 1:
            raise CLIError("--fake-accounts must be 1 or more", EXIT_USAGE)
        async with FakeDigitalOcean(token="fake-1") as fake:  # noqa: S106 - a fake's token
            accounts = [
                fake,
                *(fake.add_account(f"fake-{n}") for n in range(2, args.fake_accounts + 1)),
            ]
            for number, account in enumerate(accounts):
                account.seed_demo(DEMO_PROJECTS, seed=number)
            yield [(Account(a.token, a.token, "--fake"), fake.base_url) for a in accounts]
        return
    base_url = args.base_url or DEFAULT_BASE_URL
    if args.accounts is not None and args.token_env:
        raise CLIError("give --accounts or --token-env, not both", EXIT_USAGE)
    if args.accounts is not None:
        loaded = load_accounts(Path(args.accounts))
    elif args.token_env:
        loaded = from_token_env(args.token_env)
    else:
        token = resolve_token(args.token)
        if token is None:
            raise CLIError(f"no API token: {TOKEN_HINT}", EXIT_USAGE)
        loaded = [Account("default", token, "--token")]
    yield [(account, base_url) for account in loaded]


def _pacing(args: Namespace) -> Pacing:
    # --max-duration is checked by its parser; --timeout is a global option parsed as a float.
    if not args.timeout > 0:
        raise CLIError("--timeout must be a positive number of seconds", EXIT_USAGE)
    shared = SharedLimits.from_args(args)
    if shared.url is not None and args.rate_limiter == "off":
        raise CLIError(
            "--redis-url shares a rate limiter, so it excludes --rate-limiter off", EXIT_USAGE
        )
    return Pacing(
        attempt_timeout=args.timeout,
        max_duration=args.max_duration,
        rate_limiter=args.rate_limiter,
        shared=shared,
    )


async def _resumed(store: AuditStore, ref: str) -> RunInfo:
    if ref == "last":
        run = await store.latest_run()
        if run is None:
            raise CLIError("there is no run to resume in this database", EXIT_USAGE)
    else:
        try:
            run = await store.run(int(ref))
        except ValueError:
            raise CLIError(f"--resume takes a run id, not {ref!r}", EXIT_USAGE) from None
        if run is None:
            raise CLIError(f"there is no run {ref} in this database", EXIT_USAGE)
    if run.status == "complete":
        raise CLIError(f"run {run.id} is complete: nothing to resume", EXIT_USAGE)
    return run


@attrs.frozen
class _Estimates:
    """The estimate of each account, for ``--estimate`` and the line before a run."""

    rows: tuple[tuple[str, int, Estimate], ...]

    def lines(self) -> list[str]:
        return [f"{visible(name)}: {projects:,} projects; {e}" for name, projects, e in self.rows]

    def as_json(self) -> object:
        return [
            {"account": n, "projects": p, "requests": e.requests, "remaining": e.remaining,
             "seconds": round(e.seconds, 1)}
            for n, p, e in self.rows
        ]  # fmt: skip

    def as_csv(self, options: object) -> list[list[str]]:  # noqa: ARG002 - fixed columns
        header = ["account", "projects", "requests", "remaining", "seconds"]
        return [header, *([str(v) for v in row.values()] for row in self.as_json())]  # type: ignore[attr-defined]

    def as_plain(self, options: object) -> str:  # noqa: ARG002 - one line each
        return "\n".join(self.lines()) + "\n"

    def as_rich(self, options: object) -> list[RenderableType]:
        return [self.as_plain(options).rstrip("\n")]


async def _estimate(
    opened: Sequence[Opened], store: AuditStore, run: RunInfo | None, pacing: Pacing
) -> _Estimates:
    """Ask each account for its size (one small request) and work out what the audit costs."""
    rows = []
    for entry in opened:
        page = await entry.client.projects.list(per_page=1)
        left = page.total
        if run is not None:
            stored = (await store.inventory(run.id)).of(entry.account.name)
            listed = any(a.name == entry.account.name and a.listed for a in run.accounts)
            unfinished = sum(1 for s in stored if not s.finished)
            left = unfinished + (0 if listed else max(0, page.total - len(stored)))
        limits = pacing.limits(entry.client.rate_limit)
        rows.append((entry.account.name, left, estimate(left, per_page=PER_PAGE, limits=limits)))
    return _Estimates(tuple(rows))


async def audit_run(args: Namespace) -> Output:
    """``audit``: estimate, then audit every account into the store and report the run."""
    if args.top < 0 or args.limit < 0:
        raise do.ValidationError("--top and --limit must be 0 or more")
    check_concurrency(args.concurrency)
    pacing = _pacing(args)
    async with _accounts(args) as given, SQLiteStore(db_path(args)) as store:
        accounts = given
        run = None if args.resume is None else await _resumed(store, args.resume)
        if run is not None:
            names = {account.name for account, _ in accounts}
            missing = [name for name in run.account_names if name not in names]
            if missing:
                raise CLIError(
                    f"run {run.id} covers {', '.join(run.account_names)}; no token for"
                    f" {', '.join(missing)}",
                    EXIT_USAGE,
                )
            accounts = [entry for entry in accounts if entry[0].name in run.account_names]
        filters = (
            Filters.from_options(run.options)
            if run is not None
            else Filters(environment=args.environment, purpose=args.purpose, name=args.name)
        )
        async with open_accounts(accounts, pacing) as opened:
            estimates = await _estimate(opened, store, run, pacing)
            if args.estimate:
                return estimates
            for line in estimates.lines():
                sys.stderr.write(f"Estimate for {line}\n")
            if run is None:
                run_id = await store.start_run(
                    accounts=[a.name for a, _ in accounts], options=filters.as_options()
                )
            else:
                run_id = run.id
            outcome = await run_job(
                store, run_id, opened, filters=filters, concurrency=args.concurrency, pacing=pacing
            )
        inventory = await store.inventory(run_id)
    return RunReport.from_inventory(inventory, outcome, top=args.top, limit=args.limit)


async def _two_runs(store: AuditStore, args: Namespace) -> tuple[int, int]:
    refs = [ref for ref in (args.old, args.new) if ref is not None]
    try:
        ids = [int(ref) for ref in refs]
    except ValueError:
        raise CLIError("audit diff takes run ids (see audit history)", EXIT_USAGE) from None
    if len(ids) == 2:  # noqa: PLR2004 - old and new
        return ids[0], ids[1]
    complete = [run.id for run in await store.last_complete_runs(2)]
    if len(ids) == 1:
        later = [i for i in complete if i != ids[0]]
        if not later:
            raise CLIError("there is no other complete run to compare with", EXIT_USAGE)
        return ids[0], later[-1]
    if len(complete) < 2:  # noqa: PLR2004
        raise CLIError("audit diff needs two complete runs (see audit history)", EXIT_USAGE)
    return complete[0], complete[1]


async def _inventory(store: AuditStore, run_id: int) -> Inventory:
    if await store.run(run_id) is None:
        raise CLIError(f"there is no run {run_id} in this database", EXIT_USAGE)
    return await store.inventory(run_id)


async def audit_history(args: Namespace) -> Output:
    """``audit history``: every stored run, newest first."""
    async with SQLiteStore(db_path(args)) as store:
        return history_table(await store.runs())


async def audit_diff(args: Namespace) -> Output:
    """``audit diff [OLD] [NEW]``: the changes between two runs (default: the last two complete)."""
    async with SQLiteStore(db_path(args)) as store:
        old, new = await _two_runs(store, args)
        before, after = await _inventory(store, old), await _inventory(store, new)
    return DiffOutput(diff_runs(before, after))


async def audit_export(args: Namespace) -> Output:
    """``audit export [RUN]``: every project and resource a run stored (default: the latest)."""
    async with SQLiteStore(db_path(args)) as store:
        if args.run is None:
            latest = await store.latest_run()
            if latest is None:
                raise CLIError(
                    f"no runs in {store.path} yet: run aiodo-projects audit first", EXIT_USAGE
                )
            run_id = latest.id
        else:
            run_id = args.run
        return ExportOutput(await _inventory(store, run_id))


AUDIT_COMMANDS = {
    "audit": audit_run,
    "audit history": audit_history,
    "audit diff": audit_diff,
    "audit export": audit_export,
}

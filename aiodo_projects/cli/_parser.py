"""The argument parser: global options, and one subcommand per operation.

Global options work before or after the command (``aiodo-projects -o json list`` and
``aiodo-projects list -o json``): every subparser shares them with ``SUPPRESS`` defaults, so a
value given in either place survives, and :data:`GLOBAL_DEFAULTS` fills in the rest.
"""

from __future__ import annotations

import argparse
import sys
from typing import Final, NoReturn

from aiodo_projects import __version__
from aiodo_projects.cli._errors import EXIT_USAGE
from aiodo_projects.cli._fake_server import add_fake_server_arguments
from aiodo_projects.cli._visible import visible

__all__ = ["GLOBAL_DEFAULTS", "build_parser", "parse"]

GLOBAL_DEFAULTS: Final[dict[str, object]] = {
    "token": None,
    "base_url": None,
    "fake": False,
    "output": "table",
    "format": None,
    "header": True,
    "timeout": 30.0,
    "redis_url": None,
    "redis_failure_policy": "closed",
    "redis_workers": None,
    "verbose": 0,
}

DESCRIPTION = """\
Manage DigitalOcean projects and audit them in bulk.

Try it with no account: aiodo-projects --fake audit
"""
EPILOG = """\
The token comes from --token or the DIGITALOCEAN_TOKEN environment variable (prefer the
variable: a command line is visible to other users of the machine). Exit codes: 0 done,
1 the API or the network failed, 2 bad arguments, 130 interrupted.
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {visible(message)} (see --help)\n")


def _global_options() -> _Parser:
    options = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    group = options.add_argument_group("global options")
    group.add_argument("--token", help="API token (default: $DIGITALOCEAN_TOKEN)")
    group.add_argument("--base-url", metavar="URL", help="API origin (default: DigitalOcean's)")
    group.add_argument(
        "--fake",
        action="store_true",
        help="run against an in-process fake API seeded with demo data (no account needed)",
    )
    group.add_argument(
        "-o", "--output", choices=("table", "json", "csv"), help="output format (default: table)"
    )
    group.add_argument(
        "--format",
        metavar="COLUMNS",
        help="columns to show, doctl style: ID,Name,Environment (table and CSV)",
    )
    group.add_argument(
        "--no-header", dest="header", action="store_false", help="leave out the header row"
    )
    group.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="bound on each API call (default: 30)"
    )
    group.add_argument(
        "--redis-url",
        metavar="URL",
        help="share the token's rate limits with other processes through this Redis"
        " (default: $AIODO_REDIS_URL)",
    )
    group.add_argument(
        "--redis-failure-policy",
        choices=("closed", "local", "open"),
        help="when Redis is unreachable: refuse calls (closed, the default), keep to this"
        " process's share of the limit (local, needs --redis-workers), or limit nothing (open)",
    )
    group.add_argument(
        "--redis-workers",
        type=int,
        metavar="N",
        help="how many processes share the token, for --redis-failure-policy local",
    )
    group.add_argument(
        "-v", "--verbose", action="count", help="log to stderr (-v requests, -vv details)"
    )
    return options


def _project_fields(parser: argparse.ArgumentParser, *, create: bool = False) -> None:
    parser.add_argument("--name", required=create, help="1 to 175 characters")
    parser.add_argument("--purpose", required=create, help='e.g. "Web Application"')
    parser.add_argument("--description", help="up to 255 characters")
    parser.add_argument("--environment", help="Development, Staging or Production")
    if not create:
        parser.add_argument(
            "--is-default",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="make it the default project (or not)",
        )


def _paging(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--page", type=int, help=f"show one page of {what} (default: every page)")
    parser.add_argument("--per-page", type=int, metavar="N", help="page size, 1 to 200")


AUDIT_SUMMARY = "audit every project and its resources, of one account or several"
AUDIT_EPILOG = """\
The audit paces itself under each token's limits: --timeout bounds each network attempt,
not the waits for the rate limit, so it completes at any size (waiting through an hourly
reset if it must). Results go to a SQLite database as they arrive: Ctrl-C, a failure or
--max-duration leave a partial run, reported as such (exit 1, or 130 for Ctrl-C), which
--resume finishes without fetching again what it already has.
"""


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return seconds


def _audit_parser(audit: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    audit.formatter_class = argparse.RawDescriptionHelpFormatter
    audit.epilog = AUDIT_EPILOG
    audit.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="projects fetched at once (8)"
    )
    audit.add_argument("--top", type=int, default=5, metavar="N", help="largest projects (5)")
    audit.add_argument(
        "--limit",
        type=int,
        default=10,
        metavar="N",
        help="rows per list on screen, 0 for all (10); JSON and CSV always have all",
    )
    who = audit.add_argument_group("accounts")
    who.add_argument(
        "--accounts", metavar="FILE", help="a TOML file of [[accounts]] (name, token_env or token)"
    )
    who.add_argument(
        "--token-env",
        action="append",
        default=[],
        metavar="VAR",
        help="audit the account whose token is in $VAR (repeatable; DO_TOKEN_PROD names it prod)",
    )
    who.add_argument(
        "--fake-accounts",
        type=int,
        default=1,
        metavar="N",
        help="with --fake: audit N fake accounts side by side (1)",
    )
    which = audit.add_argument_group("which projects")
    which.add_argument("--environment", help="only this environment (any case)")
    which.add_argument("--purpose", help="only this purpose (any case)")
    which.add_argument("--name", metavar="PATTERN", help="only names matching, e.g. 'web-*'")
    job = audit.add_argument_group("the job")
    job.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help="the audit database (default: in the user's data directory)",
    )
    job.add_argument(
        "--resume",
        nargs="?",
        const="last",
        metavar="RUN",
        help="finish the last unfinished run, or run RUN, without fetching again what it has",
    )
    job.add_argument(
        "--estimate", action="store_true", help="print the requests and time it needs, and stop"
    )
    job.add_argument(
        "--max-duration",
        type=_seconds,
        metavar="SECONDS",
        help="stop after this long, keeping what was fetched (a partial run)",
    )
    job.add_argument(
        "--rate-limiter",
        choices=("auto", "on", "off"),
        default="auto",
        help="the client-side limiter: auto is on except for loopback servers (auto)",
    )
    actions = audit.add_subparsers(dest="audit_action", metavar="ACTION")

    def action(name: str, summary: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, parents=[common], help=summary, description=summary)
        parser.add_argument(
            "--db", default=argparse.SUPPRESS, metavar="PATH", help="the audit database"
        )
        return parser

    action("history", "list the stored runs: when, accounts, counts, complete or partial")
    diff = action("diff", "what changed between two runs (default: the last two complete)")
    diff.add_argument("old", nargs="?", metavar="OLD", help="the older run's id")
    diff.add_argument("new", nargs="?", metavar="NEW", help="the newer run's id")
    export = action("export", "every project and every resource of a run (default: the latest)")
    export.add_argument("run", nargs="?", type=int, metavar="RUN", help="the run's id")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``aiodo-projects``."""
    common = _global_options()
    parser = _Parser(
        prog="aiodo-projects",
        description=DESCRIPTION,
        epilog=EPILOG,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[common], help=summary, description=summary)

    _paging(add("list", "list projects"), "projects")
    add("get", "show one project").add_argument("project", metavar="ID|default")

    create = add("create", "create a project")
    _project_fields(create, create=True)
    create.add_argument(
        "--resource", action="append", metavar="URN", help="assign do:<type>:<id> (repeatable)"
    )

    update = add("update", "replace a project (PUT): give all five fields")
    update.add_argument("project", metavar="ID|default")
    _project_fields(update)

    patch = add("patch", "change some fields of a project (PATCH)")
    patch.add_argument("project", metavar="ID|default")
    _project_fields(patch)

    delete = add("delete", "delete empty projects (asks first)")
    delete.add_argument("projects", metavar="ID", nargs="+")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    resources = add("resources", "list or assign a project's resources")
    actions = resources.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list", parents=[common], help="list a project's resources", description="list resources"
    )
    listing.add_argument("project", metavar="ID|default")
    _paging(listing, "resources")
    assign = actions.add_parser(
        "assign", parents=[common], help="assign resources by URN", description="assign resources"
    )
    assign.add_argument("project", metavar="ID|default")
    assign.add_argument("urns", metavar="URN", nargs="+", help="do:<type>:<id>")

    add("ratelimit", "show the API rate limit left for this token")

    _audit_parser(add("audit", AUDIT_SUMMARY), common)

    serve = add("fake-server", "serve the fake API on a loopback port until Ctrl-C")
    add_fake_server_arguments(serve, token=False)  # --token is a global option
    return parser


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv`` (default: ``sys.argv[1:]``) and fill in the global defaults."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    for name, value in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    return args

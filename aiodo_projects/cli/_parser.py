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

    audit = add("audit", "audit every project and its resources")
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

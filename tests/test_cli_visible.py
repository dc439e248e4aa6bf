"""Text from the API reaches the terminal visible but harmless, in every output and message."""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import TYPE_CHECKING

import pytest

import aiodo_projects as do
from aiodo_projects.cli import _commands
from aiodo_projects.cli._audit import audit_project
from aiodo_projects.cli._output import RenderOptions, encodable, render
from aiodo_projects.cli._report import AuditReport
from aiodo_projects.cli._visible import json_visible, visible, visible_lines
from aiodo_projects.testing import ScriptedResponse
from tests.cli_support import fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiodo_projects.cli._output import Output
    from aiodo_projects.testing import FakeDigitalOcean

PID = "0b7f9a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
TITLE = "\x1b]0;owned\x07"  # renames the terminal window
CLEAR = "\x1b[2J"  # clears the screen
C1_CSI = "\x9b2J"  # the same, as an 8-bit C1 control
RTL = "\u202e"  # shows what follows right to left
HOSTILE = f"{TITLE}{CLEAR}{C1_CSI}{RTL}gnp.exe"
# What a terminal could act on; none of these may be written raw.
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\ud800")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _assert_harmless(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} reached the terminal"


def _assert_harmless_rich(text: str) -> None:
    # rich writes its own colour sequences (ESC [ ... m); nothing else may start with ESC.
    assert "\x1b]" not in text
    assert CLEAR not in text
    for char in RAW[1:]:
        assert char not in text, f"{char!r} reached the terminal"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("web-app", "web-app"),
        ("café 東京 🚀 [red]x[/red]", "café 東京 🚀 [red]x[/red]"),
        (TITLE, "\\x1b]0;owned\\x07"),
        (CLEAR, "\\x1b[2J"),
        (C1_CSI, "\\x9b2J"),
        ("\x7f", "\\x7f"),
        ("a\u202eb\u2066c", "a\\u202eb\\u2066c"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("\ud800", "\\ud800"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("two\nlines\r\n\tand a tab", "two lines and a tab"),
        ("\x00nul", "\\x00nul"),
    ],
)
def test_visible_escapes_what_a_terminal_could_act_on(text: str, shown: str) -> None:
    assert visible(text) == shown
    assert visible(shown) == shown  # already safe text is left as it is


def test_visible_lines_keeps_line_breaks_and_escapes_the_rest() -> None:
    assert visible_lines(f"Traceback\n  {CLEAR}x\n") == "Traceback\n  \\x1b[2Jx\n"


def test_json_visible_is_printable_and_reads_back_exactly() -> None:
    value = {"name": HOSTILE, "urn": "do:droplet:\ud800", "nbsp": "a\xa0b", "emoji": "🚀\U000e0041"}
    text = json_visible(value)
    assert all(line.isprintable() for line in text.split("\n"))
    assert json.loads(text) == value
    assert "🚀" in text  # printable text stays as it is, not \u escaped


def _page_body(name: str, description: str = CLEAR) -> bytes:
    project = {
        "id": PID,
        "owner_uuid": f"owner{RTL}",
        "owner_id": 1,
        "name": name,
        "description": description,
        "purpose": f"Web{RTL}Application",
        "environment": "Production",
        "is_default": False,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    }
    page = {"projects": [project], "links": {}, "meta": {"total": 1}}
    return json.dumps(page).encode()  # ASCII, every control written as a \u escape


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with fake_in_thread() as server:
        yield server


@pytest.mark.parametrize(
    "argv", [["list"], ["list", "--format", "ID,Name,Description,OwnerUUID,Purpose"]]
)
def test_cli_table_shows_hostile_names_as_escapes(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    fake.script("projects_list", ScriptedResponse(body=_page_body(HOSTILE)))
    run = run_main(capsys, fake, *argv)
    assert run.code == 0, run.err
    _assert_harmless(run.out)
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x9b2J\\u202egnp.exe" in run.out
    assert "Web\\u202eApplication" in run.out


def test_cli_rich_table_on_a_terminal_shows_hostile_names_as_escapes(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    fake.script("projects_list", ScriptedResponse(body=_page_body(HOSTILE)))
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    run = run_main(capsys, fake, "list")
    assert run.code == 0, run.err
    assert "┏" in screen.getvalue()  # rich drew it
    _assert_harmless_rich(screen.getvalue())
    assert "\\x1b]0;owned\\x07" in screen.getvalue()


def test_cli_json_escapes_controls_and_keeps_the_data_exact(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("projects_list", ScriptedResponse(body=_page_body(HOSTILE)))
    run = run_main(capsys, fake, "-o", "json", "list")
    assert run.code == 0, run.err
    _assert_harmless(run.out)
    assert json.loads(run.out)[0]["name"] == HOSTILE


def test_cli_csv_is_exact_in_a_file_and_visible_on_a_terminal(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.script("projects_list", *[ScriptedResponse(body=_page_body(HOSTILE))] * 2)
    piped = run_main(capsys, fake, "-o", "csv", "--format", "ID,Name", "list")
    assert list(csv.reader(io.StringIO(piped.out))) == [["id", "name"], [PID, HOSTILE]]
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    run_main(capsys, fake, "-o", "csv", "--format", "ID,Name", "list")
    _assert_harmless(screen.getvalue())
    assert screen.getvalue().endswith(f"{PID},\\x1b]0;owned\\x07\\x1b[2J\\x9b2J\\u202egnp.exe\n")


@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_cli_list_of_a_lone_surrogate_name_is_one_line_in_every_format(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    # A lone surrogate has no UTF-8 form: the library refuses the page as a DecodeError, and
    # the command line says so in one line instead of failing with an internal error.
    fake.script("projects_list", ScriptedResponse(body=_page_body("\ud800")))
    run = run_main(capsys, fake, "-o", output, "--format", "ID,Name", "list")
    assert run.code == 1
    assert run.out == ""
    assert run.err.startswith("aiodo-projects: error: unexpected answer from the API:")
    assert "internal error" not in run.err
    assert run.err.count("\n") == 1


def test_cli_error_message_from_the_server_is_shown_visible(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    error = {"id": "not_found", "message": f"gone{CLEAR}{TITLE}{RTL}\nforged line"}
    fake.script("projects_get", ScriptedResponse(status=404, json=error))
    run = run_main(capsys, fake, "-v", "get", PID)
    assert run.code == 1
    _assert_harmless(run.err)
    assert run.err.endswith(
        f"aiodo-projects: error: project {PID} not found (404):"
        " gone\\x1b[2J\\x1b]0;owned\\x07\\u202e forged line\n"
    )


def test_cli_logs_with_verbose_show_api_text_visible(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def chatty(*_: object) -> Output:
        logging.getLogger("aiodo_projects").warning("name %s", HOSTILE)
        raise do.ValidationError("stop")

    monkeypatch.setitem(_commands.COMMANDS, "ratelimit", chatty)
    run = run_main(capsys, fake, "-v", "ratelimit")
    _assert_harmless(run.err)
    assert "name \\x1b]0;owned\\x07" in run.err


def test_cli_usage_error_shows_an_argument_visible(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_main(capsys, None, "list", CLEAR)
    assert run.code == 2
    _assert_harmless(run.err)
    assert "unrecognized arguments: \\x1b[2J" in run.err


def _hostile_report() -> AuditReport:
    home = do.Project(id=f"id{RTL}", name=f"home{TITLE}", is_default=True)
    shop = do.Project(id="id-shop", name=f"shop{CLEAR}", environment="Production")
    resources = [
        do.Resource(urn=f"do:drop{CLEAR}let:1", status=f"down{TITLE}"),
        do.Resource(urn="do:droplet:\ud800", status="not_found"),
    ]
    return AuditReport(
        (audit_project(home, []), audit_project(shop, resources)), requests=3, seconds=0.1
    )


def test_cli_audit_report_shows_api_text_visible_on_every_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    report = _hostile_report()
    plain = render(report, RenderOptions(), io.StringIO())
    _assert_harmless(plain)
    assert "Default project: home\\x1b]0;owned\\x07 (id\\u202e)" in plain
    assert "1 drop\\x1b[2Jlet" in plain  # the resource type, from the URN
    assert "down\\x1b]0;owned\\x07" in plain  # a status the API made up
    assert "do:droplet:\\ud800" in plain
    rich = render(report, RenderOptions(), Terminal())
    _assert_harmless_rich(rich)
    assert "shop\\x1b[2J" in rich


class _UnknownEncoding(io.StringIO):
    encoding = "no-such-codec"


def test_output_encodable_escapes_what_the_stream_cannot_write() -> None:
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    assert encodable("café \ud800", ascii_out) == "caf\\xe9 \\ud800"
    utf8_out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert encodable("café \ud800", utf8_out) == "café \\ud800"
    assert encodable("café", utf8_out) == "café"
    assert encodable("café", io.StringIO()) == "café"  # no encoding: UTF-8 is assumed
    assert encodable("café", _UnknownEncoding()) == "café"  # left to the stream


class _TerminalInput(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_delete_prompt_shows_the_ids_visible(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _TerminalInput("n\n"))
    run = run_main(capsys, fake, "delete", f"{PID}{CLEAR}")
    assert run.code == 1
    _assert_harmless(run.err)
    assert run.err.startswith(f"Delete project {PID}\\x1b[2J? This cannot be undone.")
    assert fake.received() == 0

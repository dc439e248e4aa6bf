"""Output: doctl's columns, plain text, CSV, JSON, rich tables on terminals."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

import aiodo_projects as do
from aiodo_projects.cli import _output
from aiodo_projects.cli._columns import (
    PROJECT_COLUMNS,
    PROJECT_TABLE_DEFAULT,
    RESOURCE_COLUMNS,
    choose_columns,
    readable_time,
)
from aiodo_projects.cli._output import RenderOptions, Table, plain_table, render

ID = "4e3c0f2d-4332-459d-8ad0-0273120961ea"
WHEN = datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)
PROJECT = do.Project(
    id=ID,
    name="[red]shop[/red] :droplet:",
    owner_uuid="owner-1",
    owner_id=7,
    description="line one\nline two",
    purpose="Web Application",
    environment=do.Environment.PRODUCTION,
    is_default=False,
    created_at=WHEN,
    updated_at=WHEN,
)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _projects(*, single: bool = False) -> Table[do.Project]:
    return Table(
        PROJECT_COLUMNS,
        [PROJECT],
        do.Project.to_dict,
        default=PROJECT_TABLE_DEFAULT,
        single=single,
        caption="1 project",
    )


@pytest.mark.parametrize(
    ("spec", "headers"),
    [
        ("ID,Name", ["ID", "Name"]),
        ("OwnerUUID,OwnerID,IsDefault", ["Owner UUID", "Owner ID", "Is Default"]),
        ("created at, updated_at", ["Created At", "Updated At"]),
        ("name,,id", ["Name", "ID"]),
        ("ENVIRONMENT", ["Environment"]),
    ],
)
def test_columns_format_accepts_doctl_names_spaces_and_api_fields(
    spec: str, headers: list[str]
) -> None:
    assert [c.header for c in choose_columns(PROJECT_COLUMNS, spec)] == headers


def test_columns_format_rejects_unknown_or_no_columns() -> None:
    with pytest.raises(do.ValidationError, match="choose from ID,OwnerUUID,OwnerID,Name"):
        choose_columns(PROJECT_COLUMNS, "ID,Colour")
    with pytest.raises(do.ValidationError, match="names no column"):
        choose_columns(RESOURCE_COLUMNS, " , ")


def test_columns_readable_time_is_utc_and_empty_for_none() -> None:
    assert readable_time(WHEN) == "2024-05-01 12:34:56 UTC"
    assert readable_time(None) == ""


def test_output_plain_table_aligns_columns_and_flattens_newlines() -> None:
    text = plain_table(["A", "Long header"], [["x\ty", "1"], ["longer value", "2"]])
    assert text.splitlines() == [
        "A             Long header",
        "x y           1",
        "longer value  2",
    ]
    assert plain_table(None, []) == ""


def test_output_plain_list_uses_the_default_columns() -> None:
    text = render(_projects(), RenderOptions(), io.StringIO())
    header, row = text.splitlines()
    assert header.split() == ["ID", "Name", "Environment", "Purpose"]
    assert row == f"{ID}  [red]shop[/red] :droplet:  Production   Web Application"


def test_output_plain_single_record_is_field_by_field_with_every_field() -> None:
    text = render(_projects(single=True), RenderOptions(), io.StringIO())
    fields = dict(line.split(None, 1) for line in text.replace("Owner ", "Owner_").splitlines())
    assert fields["Owner_UUID"].strip() == "owner-1"
    assert fields["Description"].strip() == "line one line two"
    assert fields["Is"].split() == ["Default", "no"]


def test_output_json_is_the_api_shape_object_for_one_array_for_many() -> None:
    one = json.loads(render(_projects(single=True), RenderOptions("json"), io.StringIO()))
    assert one == PROJECT.to_dict()
    assert one["created_at"] == "2024-05-01T12:34:56Z"
    many = json.loads(render(_projects(), RenderOptions("json"), Terminal()))
    assert many == [PROJECT.to_dict()]


def test_output_csv_has_api_field_names_and_quotes_what_needs_it() -> None:
    text = render(_projects(), RenderOptions("csv"), Terminal())
    lines = text.splitlines()
    assert lines[0] == (
        "id,owner_uuid,owner_id,name,description,purpose,environment,is_default,"
        "created_at,updated_at"
    )
    assert f'{ID},owner-1,7,[red]shop[/red] :droplet:,"line one' in text
    assert text.endswith("Production,false,2024-05-01T12:34:56Z,2024-05-01T12:34:56Z\n")
    headless = render(_projects(), RenderOptions("csv", "ID", header=False), Terminal())
    assert headless == f"{ID}\n"


def test_output_rich_on_a_terminal_draws_a_table_and_never_reads_data_as_markup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    text = render(_projects(), RenderOptions(), Terminal())
    assert "┏" in text
    assert "[red]shop[/red]" in text  # printed as written, not turned into colour
    assert ":droplet:" in text  # not turned into an emoji
    assert "1 project" in text  # the caption


def test_output_rich_keeps_ids_whole_on_a_narrow_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    text = render(_projects(), RenderOptions(), Terminal())
    assert ID in text
    visible = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert max(len(line) for line in visible.splitlines()) <= 60


def test_output_rich_single_record_and_no_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    text = render(_projects(single=True), RenderOptions(), Terminal())
    assert "Owner UUID" in text
    assert "Field" not in text
    headless = render(_projects(), RenderOptions(header=False), Terminal())
    assert "Environment" not in headless


def test_output_plain_on_a_terminal_without_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_output, "rich_available", lambda: False)
    text = render(_projects(), RenderOptions(), Terminal())
    assert "┏" not in text
    assert text.startswith("ID ")


def _modules_after(statement: str) -> list[str]:
    code = (
        f"{statement}; import sys; "
        "print('\\n'.join(m for m in sys.modules if m.split('.')[0] == 'rich'"
        " or m.startswith(('aiodo_projects.cli', 'aiodo_projects.testing'))))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.split()


def test_importing_the_library_imports_no_cli_dependency() -> None:
    assert _modules_after("import aiodo_projects") == []


def test_importing_the_cli_does_not_import_rich_or_the_fake() -> None:
    loaded = _modules_after("import aiodo_projects.cli")
    assert "aiodo_projects.cli" in loaded
    assert not [m for m in loaded if m.startswith(("rich", "aiodo_projects.testing"))]


def test_output_plain_table_right_aligns_number_columns() -> None:
    text = plain_table(["Name", "Count"], [["a", "7"], ["b", "1,024"]], right=(1,))
    assert text.splitlines() == ["Name  Count", "a         7", "b     1,024"]

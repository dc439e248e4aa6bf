"""Every command of the command line against the fake API, in-process through ``main()``."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli_support import fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiodo_projects.testing import FakeDigitalOcean

WEB: dict[str, Any] = {}


def _seed(fake: FakeDigitalOcean) -> None:
    fake.seed_demo(projects=30)
    web = fake.add_project(
        name="web", purpose="Web Application", description="the shop", environment="Production"
    )
    fake.add_resource(web["id"], "do:droplet:101")
    fake.add_resource(web["id"], "do:volume:vol-1", status="not_found")
    WEB.update(web)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with fake_in_thread(_seed) as server:
        yield server


# -- list --------------------------------------------------------------------------------


def test_cli_list_shows_every_project_as_plain_text(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "list")
    assert run.code == 0
    assert run.err == ""
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "Name", "Environment", "Purpose"]
    assert len(lines) == 1 + len(fake.projects)
    assert f"{WEB['id']}  web " in run.out
    dated = run_main(capsys, fake, "list", "--format", "ID,CreatedAt")
    assert dated.out.splitlines()[1].endswith(" UTC")  # readable dates


def test_cli_list_json_has_every_project_with_the_api_field_names(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "list", "--output", "json")
    assert run.code == 0
    projects = json.loads(run.out)
    assert [p["id"] for p in projects] == list(fake.projects)
    web = next(p for p in projects if p["id"] == WEB["id"])
    assert web == {key: WEB.get(key) for key in web}
    assert set(web) == {
        "id",
        "owner_uuid",
        "owner_id",
        "name",
        "description",
        "purpose",
        "environment",
        "is_default",
        "created_at",
        "updated_at",
    }


def test_cli_list_one_page_with_page_and_per_page(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "-o", "json", "list", "--page", "2", "--per-page", "5")
    assert run.code == 0
    assert [p["id"] for p in json.loads(run.out)] == list(fake.projects)[5:10]
    assert [r.query.get("page") for r in fake.requests] == ["2"]


def test_cli_list_csv_has_a_header_and_every_field(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "list", "--output", "csv")
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert run.code == 0
    assert len(rows) == len(fake.projects)
    web = next(row for row in rows if row["id"] == WEB["id"])
    assert web["name"] == "web"
    assert web["is_default"] == "false"
    assert web["created_at"] == WEB["created_at"]


def test_cli_list_format_picks_doctl_columns_in_order(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "list", "--format", "Name,ID,IsDefault")
    assert run.code == 0
    assert run.out.splitlines()[0].split() == ["Name", "ID", "Is", "Default"]
    csv_run = run_main(capsys, fake, "list", "-o", "csv", "--format", "Owner UUID,created_at")
    assert csv_run.out.splitlines()[0] == "owner_uuid,created_at"


def test_cli_list_no_header_leaves_out_the_header_row(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = run_main(capsys, fake, "list", "--no-header", "--format", "ID")
    assert plain.out.split() == list(fake.projects)
    rows = run_main(capsys, fake, "list", "--no-header", "-o", "csv", "--format", "id,name")
    assert rows.out.splitlines()[0].startswith(next(iter(fake.projects)))


def test_cli_global_options_work_before_or_after_the_command(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    before = run_main(capsys, fake, "-o", "json", "list")
    after = run_main(capsys, fake, "list", "-o", "json")
    assert json.loads(before.out) == json.loads(after.out)


# -- get, create, update, patch ----------------------------------------------------------


def test_cli_get_shows_one_project_field_by_field(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "get", WEB["id"])
    assert run.code == 0
    fields = dict(line.split(None, 1) for line in run.out.splitlines() if " " in line)
    assert fields["ID"] == WEB["id"]
    assert fields["Name"] == "web"
    assert fields["Description"] == "the shop"
    assert "Owner UUID" in run.out


def test_cli_get_default_gets_the_default_project(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "get", "default", "-o", "json")
    assert run.code == 0
    assert json.loads(run.out)["id"] == fake.default_project_id


def test_cli_create_creates_and_assigns_resources(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(
        capsys,
        fake,
        "create",
        "--name",
        "api",
        "--purpose",
        "Service or API",
        "--environment",
        "staging",
        "--description",
        "the API",
        "--resource",
        "do:droplet:9001",
        "-o",
        "json",
    )
    assert run.code == 0, run.err
    created = json.loads(run.out)
    assert fake.projects[created["id"]]["environment"] == "Staging"
    assert created["name"] == "api"
    assert [r["urn"] for r in fake.resources_of(created["id"])] == ["do:droplet:9001"]


def test_cli_update_replaces_every_field(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(
        capsys,
        fake,
        "update",
        WEB["id"],
        "--name",
        "web2",
        "--description",
        "new",
        "--purpose",
        "IoT",
        "--environment",
        "Development",
        "--no-is-default",
        "-o",
        "json",
    )
    assert run.code == 0, run.err
    stored = fake.projects[WEB["id"]]
    assert (stored["name"], stored["description"], stored["purpose"]) == ("web2", "new", "IoT")
    assert json.loads(run.out)["environment"] == "Development"


def test_cli_update_without_every_field_is_a_usage_error(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "update", WEB["id"], "--name", "web2")
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1
    assert "missing required field(s)" in run.err
    assert fake.received() == 0


def test_cli_patch_changes_only_the_fields_given(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "patch", WEB["id"], "--description", "patched")
    assert run.code == 0, run.err
    assert fake.projects[WEB["id"]]["description"] == "patched"
    assert fake.projects[WEB["id"]]["name"] == "web"
    assert fake.requests[-1].json == {"description": "patched"}


def test_cli_patch_default_and_update_default_use_the_default_routes(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    patched = run_main(capsys, fake, "patch", "default", "--description", "home")
    assert patched.code == 0, patched.err
    assert fake.projects[fake.default_project_id]["description"] == "home"
    updated = run_main(
        capsys,
        fake,
        "update",
        "DEFAULT",
        "--name",
        "Home",
        "--description",
        "d",
        "--purpose",
        "IoT",
        "--environment",
        "Production",
        "--is-default",
    )
    assert updated.code == 0, updated.err
    assert fake.projects[fake.default_project_id]["name"] == "Home"
    assert [r.path for r in fake.requests] == ["/v2/projects/default"] * 2


# -- resources ---------------------------------------------------------------------------


def test_cli_resources_list_shows_each_resource_and_status(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "resources", "list", WEB["id"])
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].split() == ["URN", "Type", "Assigned", "At", "Status"]
    assert lines[1].split()[:2] == ["do:droplet:101", "droplet"]
    assert lines[2].split()[-1] == "not_found"


def test_cli_resources_list_of_the_default_project_and_one_page(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "resources", "list", "default", "-o", "json")
    assert run.code == 0
    assert json.loads(run.out) == fake.resources_of("default")
    page = run_main(capsys, fake, "resources", "list", WEB["id"], "--per-page", "1", "-o", "csv")
    assert page.out.splitlines() == [
        "urn,type,assigned_at,status,links.self",
        f"do:droplet:101,droplet,{fake.resources_of(WEB['id'])[0]['assigned_at']},ok,"
        + fake.resources_of(WEB["id"])[0]["links"]["self"],
    ]


def test_cli_resources_assign_moves_resources_into_the_project(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(
        capsys,
        fake,
        "resources",
        "assign",
        WEB["id"],
        "do:droplet:7",
        "do:space:logs",
        "-o",
        "json",
    )
    assert run.code == 0, run.err
    assert [r["urn"] for r in json.loads(run.out)] == ["do:droplet:7", "do:space:logs"]
    assert {"do:droplet:7", "do:space:logs"} <= {r["urn"] for r in fake.resources_of(WEB["id"])}
    default = run_main(capsys, fake, "resources", "assign", "default", "do:droplet:8")
    assert default.code == 0
    assert "do:droplet:8" in {r["urn"] for r in fake.resources_of("default")}


def test_cli_resources_assign_rejects_a_bad_urn_before_sending(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "resources", "assign", WEB["id"], "droplet-7")
    assert run.code == 2
    assert "is not a URN of the form do:<type>:<id>" in run.err
    assert fake.received() == 0


# -- ratelimit ---------------------------------------------------------------------------


def test_cli_ratelimit_shows_the_hourly_budget(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_main(capsys, fake, "ratelimit", "-o", "json")
    assert run.code == 0
    limit = json.loads(run.out)
    assert limit["limit"] == 5000
    assert limit["remaining"] == 4999
    assert limit["reset"].endswith("Z")
    table = run_main(capsys, fake, "ratelimit")
    fields = dict(line.split(None, 1) for line in table.out.splitlines())
    assert (fields["Limit"], fields["Remaining"]) == ("5000", "4998")
    assert fields["Reset"].endswith(" UTC")

"""``delete``: the confirmation (yes, no, --yes, no terminal) and what the API refuses."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest

from tests.cli_support import fake_in_thread, run_main

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiodo_projects.testing import FakeDigitalOcean


class TerminalInput(io.StringIO):
    """Stdin that claims to be a terminal, with the user's answer already typed."""

    def isatty(self) -> bool:
        return True


def _seed(fake: FakeDigitalOcean) -> None:
    fake.add_project(name="empty-one")
    fake.add_project(name="empty-two")
    full = fake.add_project(name="full")
    fake.add_resource(full["id"], "do:droplet:1")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDigitalOcean]:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with fake_in_thread(_seed) as server:
        yield server


def _id(fake: FakeDigitalOcean, name: str) -> str:
    return next(pid for pid, p in fake.projects.items() if p["name"] == name)


def test_cli_delete_with_yes_deletes_without_asking(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    pid = _id(fake, "empty-one")
    run = run_main(capsys, fake, "delete", pid, "--yes", "-o", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out) == [{"id": pid, "deleted": True}]
    assert pid not in fake.projects
    assert run.err == ""


@pytest.mark.parametrize("answer", ["y\n", "yes\n", "Y\n"])
def test_cli_delete_asks_and_deletes_on_yes(
    answer: str,
    fake: FakeDigitalOcean,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", TerminalInput(answer))
    pid = _id(fake, "empty-one")
    run = run_main(capsys, fake, "delete", pid)
    assert run.code == 0, run.err
    assert f"Delete project {pid}? This cannot be undone. [y/N] " in run.err
    assert pid not in fake.projects
    assert run.out.split() == ["ID", "Deleted", pid, "yes"]


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "maybe\n"])
def test_cli_delete_asks_and_keeps_the_project_otherwise(
    answer: str,
    fake: FakeDigitalOcean,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", TerminalInput(answer))
    pid = _id(fake, "empty-one")
    run = run_main(capsys, fake, "delete", pid)
    assert run.code == 1
    assert run.err.endswith("aiodo-projects: error: nothing deleted\n")
    assert run.out == ""
    assert pid in fake.projects
    assert fake.received() == 0


def test_cli_delete_refuses_when_stdin_is_not_a_terminal(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # piped: nobody to ask
    pid = _id(fake, "empty-one")
    run = run_main(capsys, fake, "delete", pid)
    assert run.code == 2
    assert run.err == (
        "aiodo-projects: error: refusing to delete without confirmation: "
        "stdin is not a terminal; pass --yes\n"
    )
    assert pid in fake.projects
    assert fake.received() == 0


def test_cli_delete_several_asks_once_for_all(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", TerminalInput("y\n"))
    one, two = _id(fake, "empty-one"), _id(fake, "empty-two")
    run = run_main(capsys, fake, "delete", one, two)
    assert run.code == 0
    assert f"Delete 2 projects ({one}, {two})?" in run.err
    assert one not in fake.projects
    assert two not in fake.projects


def test_cli_delete_of_a_project_with_resources_is_refused_412(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = _id(fake, "full")
    run = run_main(capsys, fake, "delete", pid, "--yes")
    assert run.code == 1
    assert run.err.startswith(f"aiodo-projects: error: project {pid} refused (412): ")
    assert run.err.count("\n") == 1
    assert pid in fake.projects


def test_cli_delete_stopping_half_way_says_what_was_deleted(
    fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str]
) -> None:
    empty, full = _id(fake, "empty-one"), _id(fake, "full")
    run = run_main(capsys, fake, "delete", empty, full, "--yes")
    assert run.code == 1
    assert "refused (412)" in run.err
    assert run.err.rstrip().endswith(
        f"; project {full} was not deleted; 1 of 2 projects were deleted before"
    )
    assert empty not in fake.projects
    assert run.out == ""

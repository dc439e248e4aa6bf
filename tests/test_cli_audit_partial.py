"""A partial run from the command line: stopped after its listing, diffed, resumed with a
project deleted in between; and the warning of an hour's budget mostly used.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli_support import fake_in_thread, run_main

if TYPE_CHECKING:
    from pathlib import Path

    from aiodo_projects.testing import FakeDigitalOcean

PROJECTS = 20


def _json(capsys: pytest.CaptureFixture[str], fake: FakeDigitalOcean | None, *argv: str) -> Any:
    run = run_main(capsys, fake, *argv, "-o", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


@pytest.mark.slow
def test_cli_audit_resume_after_the_listing_fetches_only_the_unfinished_projects(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    db = ["--db", str(tmp_path / "runs.sqlite3")]
    with fake_in_thread(lambda f: f.seed(PROJECTS)) as fake:
        assert _json(capsys, fake, "audit", *db)["run"]["status"] == "complete"

        fake.latency = 0.3  # one listing page, then rounds of 8 projects: 0.8 s stops round 2
        stopped = run_main(capsys, fake, "audit", *db, "--max-duration", "0.8")
        assert stopped.code == 1, stopped.err
        (account,) = _json(capsys, None, "audit", "history", *db)[0]["accounts"]
        assert account["projects"] == PROJECTS + 1  # the listing was finished and stored
        finished = account["finished"]
        assert 0 < finished < PROJECTS + 1
        assert stopped.out.endswith(
            f"Run 2: PARTIAL (stopped after --max-duration 0.8 s); {PROJECTS + 1 - finished}"
            " listed projects not fetched; finish it with: aiodo-projects audit --resume 2\n"
        )

        diff = run_main(capsys, None, "audit", "diff", "1", "2", *db)
        assert diff.out == (
            "Changes from run 1 to run 2: 0 to projects, 0 to resources"
            f" ({PROJECTS + 1 - finished} projects not fetched by a partial run are left out)\n"
            "no changes\n"
        )

        export = _json(capsys, None, "audit", "export", "2", *db)
        unfinished = [p["project"]["id"] for p in export["projects"] if not p["finished"]]
        gone = unfinished[-1]
        fake.latency = 0.0
        assert run_main(capsys, fake, "delete", gone, "--yes").code == 0
        fake.clear_requests()
        resumed = _json(capsys, fake, "audit", *db, "--resume")
        operations = [r.operation for r in fake.requests]
    assert resumed["run"]["status"] == "complete"
    assert resumed["projects"] == PROJECTS  # the deleted one is not counted as present
    assert resumed["vanished_projects"] == [gone]
    assert operations.count("projects_list") == 1  # the estimate's probe: no listing again
    assert Counter(operations) == {"projects_list": 1, "projects_list_resources": len(unfinished)}


def test_cli_audit_warns_when_an_account_used_most_of_its_hourly_budget(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)

    def setup(fake: FakeDigitalOcean) -> None:
        fake.seed(2)  # a run makes 5 requests: the probe, one page, 3 projects
        fake.set_remaining(1000, reset_in=600.0)

    with fake_in_thread(setup) as fake:
        run = run_main(capsys, fake, "audit", "-o", "json")
        table = run_main(capsys, fake, "audit")
    assert run.code == 0, run.err
    line = run.err.splitlines()[-1]
    assert re.fullmatch(
        r"aiodo-projects: warning: default has used 4,005 of its 5,000 requests this hour \(80%\);"
        r" more requests before \d\d:\d\d UTC will wait",
        line,
    ), line
    assert json.loads(run.out)["rate_limit"]["remaining"] == 995
    assert table.out.splitlines()[-1].startswith("warning: default has used 4,010 of its 5,000")

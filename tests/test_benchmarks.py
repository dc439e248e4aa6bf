"""The benchmark harness runs end to end in quick mode and checks what every client saw.

This is a correctness test of the harness only: it never looks at a time.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from aiodo_projects._convert import converter
from aiodo_projects.models import Page, Project
from benchmarks import growth
from benchmarks.breakdown import PER_PAGE, measure, page_body
from benchmarks.harness import Plan, _pin, scenarios
from benchmarks.report import Target

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmarks_quick_run_lists_and_gets_the_same_things_with_every_client(
    tmp_path: pathlib.Path,
) -> None:
    clients = ["floor", "aiodo_projects"]
    command = [sys.executable, "-m", "benchmarks", "--quick", "--rounds", "2", "--no-plot"]
    command += ["--out", str(tmp_path), "--clients", ",".join(clients)]
    done = subprocess.run(  # noqa: S603 -- our own module
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    run = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert run["command"] == "python -m benchmarks --quick --rounds 2"
    rows = run["results"]
    plan = Plan.quick()
    keys = [scenario.key for scenario in scenarios(plan)]
    assert [row["scenario"]["key"] for row in rows] == [key for key in keys for _ in clients]
    for key in keys:
        counts = {row["client"]: row["count"] for row in rows if row["scenario"]["key"] == key}
        assert set(counts) == set(clients)
        assert len(set(counts.values())) == 1, counts
    by_key = {row["scenario"]["key"]: row for row in rows if row["client"] == "floor"}
    assert by_key["list"]["count"] == plan.projects + 1  # the default project too
    assert by_key["get"]["count"] == plan.gets
    assert by_key["memory"]["count"] == plan.big + 1
    assert by_key["memory"]["peak"] > 0
    for row in rows:  # the spread of the CPU times; memory is measured once
        if row["scenario"]["memory"]:
            assert row["cpu_quartiles"] is None
        else:
            low, high = row["cpu_quartiles"]
            assert low <= row["cpu"] <= high
    results = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "| scenario | client |" in results
    assert "## Targets" in results
    rendered = tmp_path / "again"
    rendered.mkdir()
    render = ["--render", str(tmp_path / "results.json"), "--out", str(rendered), "--no-plot"]
    again = subprocess.run(  # noqa: S603 -- our own module
        [sys.executable, "-m", "benchmarks", *render],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert (rendered / "RESULTS.md").read_text(encoding="utf-8") == results


def test_benchmark_target_says_met_or_missed() -> None:
    assert Target("x", 1.2, 1.3).met
    assert not Target("x", 1.4, 1.3).met
    assert Target("y", 4.0, 3.0, at_least=True).met
    assert "**missed**" in Target("x", 1.4, 1.3).line()


def test_breakdown_pages_are_valid_listings_of_distinct_projects() -> None:
    pages = [converter.structure(page_body(n, 2), Page[Project]) for n in range(2)]
    projects = [project for page in pages for project in page.items]
    assert len({project.id for project in projects}) == len(projects) == 2 * PER_PAGE
    assert all(page.total == 2 * PER_PAGE for page in pages)
    assert len({project.created_at for project in projects}) == len(projects)


def test_breakdown_measures_every_step() -> None:
    steps = measure(pages_count=2, repeats=1)  # walks every page, or raises
    assert set(steps) == {"json.loads", "decode", "async for", "plain for"}
    assert all(value >= 0 for value in steps.values())


def test_breakdown_command_reports_every_step() -> None:
    command = [sys.executable, "-m", "benchmarks.breakdown", "--pages", "2"]
    done = subprocess.run(  # noqa: S603 -- our own module
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("microseconds of CPU per project (2 pages of 200)")
    assert "typed models from the bytes" in done.stdout
    assert "typed models and async for, in all" in done.stdout


def test_breakdown_pages_of_any_size_are_valid_listings() -> None:
    page = converter.structure(page_body(3, 7, per_page=20), Page[Project])
    assert len(page) == 20
    assert page.total == 140
    assert page.items[0].name == "project-00060"


@pytest.mark.slow
def test_growth_decodes_whole_listings_of_every_length_and_page_size() -> None:
    rows = growth.measure(lengths=(30, 450), page_sizes=(20, 200), repeats=1, sized=100)
    assert [(count, per_page) for count, per_page, _, _ in rows] == [
        (200, 200),  # 30 projects make one page of 200
        (600, 200),
        (100, 20),
        (200, 200),
    ]
    assert all(ours > 0 and floor > 0 for _, _, ours, floor in rows)
    table = growth.report(rows)
    assert table[0].startswith("| projects | per page |")
    assert len(table) == 2 + len(rows)


def test_growth_command_prints_its_table() -> None:
    command = [sys.executable, "-m", "benchmarks.growth", "--quick"]
    done = subprocess.run(  # noqa: S603 -- our own module
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 2 + 4


def test_benchmark_pins_servers_and_clients_to_separate_cpus() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    sleep = [sys.executable, "-c", "import time; time.sleep(30)"]
    sleepers = [subprocess.Popen(sleep) for _ in range(2)]  # noqa: S603 -- a fixed command
    try:
        _pin(sleepers[0].pid, "server")
        _pin(sleepers[1].pid, "client")
        pinned = [os.sched_getaffinity(sleeper.pid) for sleeper in sleepers]
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
    if len(cpus) >= 2:
        assert pinned == [{cpus[-1]}, {cpus[0]}]
    else:  # a single CPU: nothing to separate, the processes keep what they had
        assert pinned == [set(cpus), set(cpus)]

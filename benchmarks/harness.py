"""The harness: fake servers and client workers in their own processes, rounds, medians.

Clients take turns scenario by scenario, and the order rotates every round, so slow drift of
a shared, noisy machine falls on every client alike. Each timed figure is the median over the
rounds. Where the system allows it, the fake servers run on one CPU and the client workers on
another (``os.sched_setaffinity``): left to the scheduler, the two processes of a run moved
between cores and shared them, and a client's CPU time then varied by half from run to run.
Every run is checked: all clients must list the same projects in the same order and fetch
the same names.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
from typing import IO, TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["Plan", "Result", "Scenario", "available_clients", "run_benchmarks"]

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
FLOOR = "floor"


@attrs.frozen
class Plan:
    """How big the benchmark is."""

    projects: int = 10_000
    big: int = 100_000
    gets: int = 1_000
    latency: float = 0.020
    rounds: int = 21
    per_page: int = 200
    concurrency: int = 8
    get_concurrency: int = 32

    @classmethod
    def quick(cls) -> Plan:
        """A smoke run of a few seconds: small sizes, one round."""
        return cls(projects=600, big=2_000, gets=64, latency=0.002, rounds=1)


@attrs.frozen
class Scenario:
    """One line of the results table."""

    key: str
    title: str
    server: str  # "plain", "latency" or "big"
    kind: str  # "list" or "get"
    concurrency: int = 1
    memory: bool = False


def scenarios(plan: Plan) -> list[Scenario]:
    """The benchmark scenarios, at the planned sizes."""
    n, gets, ms = f"{plan.projects:,}", f"{plan.gets:,}", f"{plan.latency * 1000:g} ms"
    c, g = plan.concurrency, plan.get_concurrency
    return [
        Scenario("list", f"list {n} projects, {plan.per_page}/page", "plain", "list"),
        Scenario("list-concurrent", f"list {n}, concurrency {c}", "plain", "list", c),
        Scenario("get", f"{gets} GETs, {g} at a time", "plain", "get", g),
        Scenario("list-latency", f"list {n} under {ms} latency", "latency", "list"),
        Scenario(
            "list-concurrent-latency", f"list {n}, concurrency {c}, {ms}", "latency", "list", c
        ),
        Scenario("get-latency", f"{gets} GETs under {ms} latency", "latency", "get", g),
        Scenario(
            "memory-small", f"iterate {n} projects (peak memory)", "plain", "list", memory=True
        ),
        Scenario(
            "memory", f"iterate {plan.big:,} projects (peak memory)", "big", "list", memory=True
        ),
    ]


@attrs.frozen
class Result:
    """The medians of one client in one scenario."""

    scenario: Scenario
    client: str
    cpu: float
    wall: float
    count: int
    peak: int | None
    rounds: int
    cpu_quartiles: tuple[float, float] | None = None
    """The first and third quartiles of the client's CPU time over the rounds: the spread."""


def available_clients() -> list[str]:
    """The clients this environment can run: the floor and aiodo_projects always."""
    names = [FLOOR, "aiodo_projects", "aiodo_projects+limiter"]
    if importlib.util.find_spec("pydo") is not None:
        names.append("pydo.aio")
    return names


def _pin(pid: int, role: str) -> None:
    """Keep the process ``pid`` on its own CPU: the last for a fake server, the first for a client.

    Nothing happens where CPU affinity is not supported or there is a single CPU.
    """
    setaffinity = getattr(os, "sched_setaffinity", None)
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if setaffinity is None or len(cpus) < 2:
        return
    setaffinity(pid, {cpus[-1] if role == "server" else cpus[0]})


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _read_line(stream: IO[str] | None, what: str) -> str:
    line = stream.readline() if stream is not None else ""
    if not line:
        msg = f"{what} stopped before answering"
        raise RuntimeError(msg)
    return line


@contextlib.contextmanager
def fake_server(projects: int, latency: float) -> Iterator[str]:
    """Run ``python -m aiodo_projects.testing`` in its own process; yield its base URL."""
    command = [sys.executable, "-m", "aiodo_projects.testing", "--port", "0"]
    command += ["--projects", str(projects), "--numbered", "--latency", str(latency)]
    command += ["--token", TOKEN]
    process = subprocess.Popen(  # noqa: S603 -- our own module, fixed arguments
        command, stdout=subprocess.PIPE, text=True, env=_env(), cwd=ROOT
    )
    _pin(process.pid, "server")
    try:
        line = _read_line(process.stdout, "the fake API")
        if not line.startswith("listening on "):
            msg = f"unexpected first line from the fake API: {line!r}"
            raise RuntimeError(msg)
        yield line.split()[-1]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class Worker:
    """One client's worker process (``python -m benchmarks.worker NAME``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._process = subprocess.Popen(  # noqa: S603 -- our own module, fixed arguments
            [sys.executable, "-m", "benchmarks.worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        _pin(self._process.pid, "client")
        json.loads(_read_line(self._process.stdout, f"worker {name}"))

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the answer; a failed run raises."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        answer: dict[str, Any] = json.loads(_read_line(self._process.stdout, self.name))
        if "error" in answer:
            msg = f"{self.name} failed: {answer['error']}"
            raise RuntimeError(msg)
        return answer

    def close(self) -> None:
        """Close stdin (the worker then exits) and wait for it."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def _ids(base_url: str, count: int) -> list[str]:
    """The first ``count`` project ids, in listing order (read with the standard library)."""
    import urllib.request  # noqa: PLC0415 -- only the harness needs it

    request = urllib.request.Request(  # noqa: S310 -- a loopback URL we started
        f"{base_url}/v2/projects?page=1&per_page=200", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    ids: list[str] = []
    page = 1
    while len(ids) < count:
        request.full_url = f"{base_url}/v2/projects?page={page}&per_page=200"
        with urllib.request.urlopen(request) as response:  # noqa: S310 -- loopback, ours
            ids += [p["id"] for p in json.loads(response.read())["projects"]]
        page += 1
    return ids[:count]


def _check(scenario: Scenario, answers: dict[str, dict[str, Any]], expected: Any) -> None:  # noqa: ANN401
    for client, answer in answers.items():
        got = (answer["count"], answer["check"])
        if got != expected:
            msg = f"{client} in {scenario.key}: got {got}, expected {expected}"
            raise AssertionError(msg)


def run_benchmarks(
    plan: Plan,
    clients: list[str],
    log: Callable[[str], object] = print,
    *,
    only: set[str] | None = None,
) -> list[Result]:
    """Run every scenario (or those named in ``only``) for every client; return the medians."""
    if FLOOR not in clients:
        clients = [FLOOR, *clients]
    workers = {name: Worker(name) for name in clients}
    results: list[Result] = []
    try:
        with (
            fake_server(plan.projects, 0.0) as plain,
            fake_server(plan.projects, plan.latency) as slow,
            fake_server(plan.big, 0.0) as big,
        ):
            urls = {"plain": plain, "latency": slow, "big": big}
            ids = {name: _ids(url, plan.gets) for name, url in urls.items() if name != "big"}
            for scenario in scenarios(plan):
                if only is not None and scenario.key not in only:
                    continue
                url, known = urls[scenario.server], ids.get(scenario.server, [])
                results += _run_scenario(plan, scenario, url, known, workers, log)
    finally:
        for worker in workers.values():
            worker.close()
    return results


def _quartiles(values: list[float]) -> tuple[float, float] | None:
    if len(values) < 2:  # quartiles need two values at least
        return None
    low, _, high = statistics.quantiles(values, n=4)
    return (low, high)


def _run_scenario(  # noqa: PLR0917 -- private, called once
    plan: Plan,
    scenario: Scenario,
    base_url: str,
    ids: list[str],
    workers: dict[str, Worker],
    log: Callable[[str], object],
) -> list[Result]:
    request: dict[str, Any] = {
        "kind": scenario.kind,
        "base_url": base_url,
        "token": TOKEN,
        "per_page": plan.per_page,
        "concurrency": scenario.concurrency,
        "memory": scenario.memory,
        "ids": ids,
    }
    expected: Any = None
    if scenario.kind == "list":
        verified = {
            name: worker.ask({**request, "kind": "verify"}) for name, worker in workers.items()
        }
        digests = {(a["count"], a["digest"]) for a in verified.values()}
        if len(digests) != 1:
            msg = f"clients disagree on the listing in {scenario.key}: {verified}"
            raise AssertionError(msg)
    names = list(workers)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    rounds = 1 if scenario.memory else plan.rounds
    for round_number in range(rounds):
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        answers = {name: workers[name].ask(request) for name in order}
        if expected is None:
            expected = (answers[FLOOR]["count"], answers[FLOOR]["check"])
        _check(scenario, answers, expected)
        for name, answer in answers.items():
            runs[name].append(answer)
    log(f"{scenario.key}: {rounds} round(s), {expected[0]} items per run")
    return [
        Result(
            scenario=scenario,
            client=name,
            cpu=statistics.median(a["cpu"] for a in runs[name]),
            cpu_quartiles=_quartiles([a["cpu"] for a in runs[name]]),
            wall=statistics.median(a["wall"] for a in runs[name]),
            count=runs[name][0]["count"],
            peak=runs[name][0].get("peak"),
            rounds=rounds,
        )
        for name in names
    ]

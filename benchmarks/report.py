"""Turn results into ``RESULTS.md`` (machine, versions, date, table, targets) and a PNG chart."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
from typing import TYPE_CHECKING, Any

import attrs

from benchmarks.harness import FLOOR, Result, Scenario

if TYPE_CHECKING:
    import pathlib

__all__ = ["Run", "Target", "machine", "markdown", "plot", "table", "targets"]

PACKAGES = ("aiodo-projects", "aiohttp", "attrs", "cattrs", "msgspec", "yarl", "pydo", "azure-core")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:  # noqa: PTH123
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:  # noqa: PTH123
            kib = int(info.readline().split()[1])
    except (OSError, ValueError, IndexError):
        return "unknown"
    return f"{kib / 1024 / 1024:.0f} GiB"


def machine() -> list[str]:
    """Lines describing where the benchmark ran."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    return [
        f"- Date: {now}",
        (
            f"- Machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory()} RAM;"
            f" {platform.platform()}"
        ),
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        f"- Packages: {versions}",
    ]


@attrs.frozen
class Run:
    """One benchmark run: its results and where and how it was made."""

    results: list[Result]
    rounds: int
    command: str
    machine: list[str]

    def to_json(self) -> dict[str, Any]:
        """The run as JSON-ready data (``results.json``)."""
        return {
            "command": self.command,
            "rounds": self.rounds,
            "machine": self.machine,
            "results": [attrs.asdict(result) for result in self.results],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        """Read back what :meth:`to_json` wrote."""
        results = [
            Result(
                **{
                    **row,
                    "scenario": Scenario(**row["scenario"]),
                    "cpu_quartiles": _pair(row.get("cpu_quartiles")),
                }
            )
            for row in data["results"]
        ]
        return cls(results, data["rounds"], data["command"], list(data["machine"]))


def _pair(value: list[float] | None) -> tuple[float, float] | None:
    """JSON keeps a tuple as a list: make it a pair again."""
    return None if value is None else (value[0], value[1])


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}x" if floor > 0 else "-"


def _floor(results: list[Result], key: str) -> Result:
    return next(r for r in results if r.scenario.key == key and r.client == FLOOR)


def table(results: list[Result]) -> list[str]:
    """The Markdown table: medians and ratios to the floor of the same scenario."""
    lines = [
        (
            "| scenario | client | CPU ms (quartiles) | CPU x floor | wall ms | wall x floor"
            " | peak memory |"
        ),
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        floor = _floor(results, result.scenario.key)
        if result.scenario.memory:
            assert result.peak is not None
            assert floor.peak is not None
            peak = f"{result.peak / 1024:,.0f} KiB ({_ratio(result.peak, floor.peak)})"
            cpu = wall = cpu_ratio = wall_ratio = "-"
        else:
            peak = "-"
            cpu, wall = f"{result.cpu * 1000:,.1f}", f"{result.wall * 1000:,.1f}"
            if result.cpu_quartiles is not None:
                low, high = (value * 1000 for value in result.cpu_quartiles)
                cpu += f" ({low:,.1f}-{high:,.1f})"
            cpu_ratio, wall_ratio = _ratio(result.cpu, floor.cpu), _ratio(result.wall, floor.wall)
        lines.append(
            f"| {result.scenario.title} | {result.client} | {cpu} | {cpu_ratio} | {wall} "
            f"| {wall_ratio} | {peak} |"
        )
    return lines


class Target:
    """One performance target, checked against the results."""

    def __init__(self, text: str, value: float, limit: float, *, at_least: bool = False) -> None:
        self.text = text
        self.value = value
        self.limit = limit
        self.met = value >= limit if at_least else value <= limit

    def line(self) -> str:
        """A Markdown list item saying whether the target was met."""
        verdict = "met" if self.met else "**missed**"
        return f"- {self.text}: {self.value:.2f} (target {self.limit:g}) - {verdict}"


def _get(results: list[Result], key: str, client: str) -> Result | None:
    return next((r for r in results if r.scenario.key == key and r.client == client), None)


def targets(results: list[Result]) -> list[Target]:
    """The performance targets, for each aiodo_projects variant that ran."""
    found: list[Target] = []
    variants = sorted({r.client for r in results if r.client.startswith("aiodo_projects")})
    for client in variants:
        checks = [
            ("list", "cpu", f"{client}: listing CPU x floor", 0.9),
            ("get", "cpu", f"{client}: single-GET CPU x floor", 1.1),
            ("list-concurrent-latency", "wall", f"{client}: concurrent listing wall x floor", 1.05),
        ]
        for key, metric, text, limit in checks:
            ours = _get(results, key, client)
            if ours is not None:
                value = getattr(ours, metric) / getattr(_floor(results, key), metric)
                found.append(Target(text, value, limit))
        for key, least in (("list", 4.0), ("get", 5.0)):
            ours, pydo = _get(results, key, client), _get(results, key, "pydo.aio")
            if ours is not None and pydo is not None:
                text = f"{client}: pydo.aio CPU / ours, {key}"
                found.append(Target(text, pydo.cpu / ours.cpu, least, at_least=True))
        big, small = _get(results, "memory", client), _get(results, "memory-small", client)
        if big is not None and big.peak is not None:
            floor = _floor(results, "memory").peak or 1
            text = f"{client}: peak memory growth, in pages held by the floor"
            found.append(Target(text, big.peak / floor, 1.0))
            floor_small = _get(results, "memory-small", FLOOR)
            if small is not None and small.peak and floor_small is not None and floor_small.peak:
                # The floor holds one page whatever the length; what it adds from the short
                # to the long listing (bounded caches, buffers) is the yardstick.
                text = (
                    f"{client}: peak memory added from {small.count:,} to {big.count:,}"
                    " projects, relative to what the floor adds"
                )
                added = (big.peak - small.peak) / max(1, floor - floor_small.peak)
                found.append(Target(text, added, 1.25))
    return found


NOTES = """\
## Where the CPU goes

- **Decoding** (`python -m benchmarks.breakdown`: pages of 200 realistic projects, no HTTP,
  CPU per project). Each body is decoded once, straight from its bytes, by msgspec's typed
  JSON decoder into the frozen, slotted attrs models: no dicts in between, no `__init__`
  calls, unknown keys skipped in C, environments decoded straight into `Environment`. A body
  naming an environment this release does not know is refused by that decoder and decoded
  once more with the environment as a plain `str`, so only such a page pays twice. What
  Python still does per project is check that both datetimes are in UTC (`Z` times are;
  others are moved, and one that cannot be is a `DecodeError`). That costs about 0.6 of what
  `json.loads` alone costs the floor for the same bytes. Earlier designs parsed to dicts
  first and then made the models, so they paid for both: 1.7x to 1.8x `json.loads` with the
  standard library, 1.0x to 1.2x with orjson.
- **Growth** (`python -m benchmarks.growth`): the CPU per project is flat from 1,000 to
  100,000 projects, and a page's fixed costs (the envelope, `Page`, the page links) spread
  thinner from 20 to 200 projects a page.
- **Per request**: the retry loop awaits one attempt directly instead of through a helper
  coroutine, a successful answer builds no `Response` object, the debug timing is skipped
  when DEBUG logging is off, and the `ratelimit-*` headers are parsed only when they change.
  The client's own headers are the defaults of the session it makes, so aiohttp merges none
  per request. The call's deadline is kept by one timer per event loop for every call in
  flight (`aiodo_projects._deadline`) rather than a timer per call as `asyncio.timeout`
  arms: that timer alone was about a tenth of a small GET's CPU. The rate limiter, when on,
  adds a few microseconds a request (acquire, release, the server's `Date`).
- **Memory:** a walk holds the page being read and nothing older: the last pages are kept
  only as their ids (to de-duplicate if the listing turns out to have changed), and each
  page is let go before the next is fetched. A next link that is exactly the URL the walk
  asks for next is taken without parsing it. Decoding makes the models and nothing else:
  there is no parsed-dict copy of the page alive beside them.
"""


def markdown(run: Run) -> str:
    """The whole ``RESULTS.md``."""
    results, command = run.results, run.command
    memory = _get(results, "memory", FLOOR)
    page_note = (
        f"The floor holds one page of plain dicts at a time ({memory.peak / 1024:,.0f} KiB"
        ' peak growth), which is what "about a page" means here.'
        if memory is not None and memory.peak is not None
        else ""
    )
    lines = [
        "# Benchmark results",
        "",
        (
            f"Produced by `{command}` (medians of {run.rounds} rounds, with the quartiles of the"
            " CPU times to show the spread; memory: one round under"
            " tracemalloc). The fake API ran in its own process and each client in its own"
            " worker process, so CPU is the client's alone (`time.process_time`); the servers"
            " and the workers were kept on separate CPUs where the system allows it. The floor is"
            " aiohttp + `json.loads` following `links.pages.next` and producing plain dicts;"
            " `aiodo_projects` decodes each body from its bytes with msgspec's typed decoder;"
            " `aiodo_projects+limiter` is the same with the rate limiter on"
            " (`rate_limiter=RateLimits(burst_limit=100_000, hourly=False)`: it never waits, so"
            " the row shows the cost of its bookkeeping). Ratios are to the floor of"
            " the same scenario; concurrent scenarios compare with a floor that fetches the"
            " same pages concurrently by hand."
        ),
        "",
        *run.machine,
        "",
        *table(results),
        "",
        "## Targets",
        "",
        *(target.line() for target in targets(results)),
        "",
        page_note,
        "",
        NOTES,
        "![CPU and wall time as ratios to the floor](ratios.png)",
        "",
    ]
    return "\n".join(lines)


def plot(results: list[Result], path: pathlib.Path) -> None:
    """Draw CPU and wall ratios to the floor, scenario by scenario, into a PNG."""
    import matplotlib as mpl  # noqa: PLC0415 -- only needed to draw

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    timed = [r for r in results if not r.scenario.memory]
    keys = list(dict.fromkeys(r.scenario.key for r in timed))
    clients = list(dict.fromkeys(r.client for r in timed))
    figure, axes = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    width = 0.8 / len(clients)
    for axis, metric in zip(axes, ("cpu", "wall"), strict=True):
        for index, client in enumerate(clients):
            values = []
            for key in keys:
                ours = _get(timed, key, client)
                floor = getattr(_floor(timed, key), metric)
                values.append(getattr(ours, metric) / floor if ours is not None else 0.0)
            offsets = [k + (index - (len(clients) - 1) / 2) * width for k in range(len(keys))]
            axis.bar(offsets, values, width, label=client)
        axis.axhline(1.0, color="black", linewidth=0.8)
        axis.set_yscale("log")
        axis.set_ylabel(f"{'CPU' if metric == 'cpu' else 'wall'} time / floor (log)")
        axis.grid(axis="y", which="both", alpha=0.3)
    axes[0].axhline(1.3, color="red", linestyle="--", linewidth=0.8, label="listing target 1.3x")
    axes[0].legend(fontsize="small", ncols=3)
    axes[1].set_xticks(range(len(keys)), keys, rotation=20, ha="right")
    figure.suptitle("aiodo_projects vs the raw-aiohttp floor and pydo.aio (lower is better)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)

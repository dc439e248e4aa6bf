"""How decoding cost grows: ``python -m benchmarks.growth [--quick]``.

Times, in one process and without HTTP, decoding whole listings page after page (each page
let go before the next, as a walk does) with the client's converter, beside ``json.loads``
of the same bytes (the floor's parse). Two series, in microseconds of CPU per project:

- listings of 1,000, 10,000 and 100,000 projects at 200 a page: the cost per project should
  be flat, whatever the length;
- 10,000 projects at 20, 100 and 200 a page: what each page costs beyond its projects (the
  envelope, ``Page``, its links) shows as a higher cost per project on small pages.

Each figure is the fastest of a few repeats, to keep other load on the machine out of it.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from typing import TYPE_CHECKING

from aiodo_projects import Page, Project
from aiodo_projects._convert import converter
from benchmarks.breakdown import page_body

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Row", "main", "measure"]

LENGTHS = (1_000, 10_000, 100_000)
PAGE_SIZES = (20, 100, 200)
REPEATS = 7

Row = tuple[int, int, float, float]
"""Projects, projects per page, and the CPU per project of decoding and of ``json.loads``."""


def _listing(projects: int, per_page: int) -> list[bytes]:
    pages = -(-projects // per_page)
    return [page_body(number, pages, per_page) for number in range(pages)]


def _fastest(
    steps: tuple[Callable[[bytes], object], ...], bodies: list[bytes], repeats: int
) -> list[float]:
    """Time each step over ``bodies``, taking turns, and return the fastest time of each.

    Turns keep a slower spell of the machine from falling on one step only.
    """
    best = [float("inf")] * len(steps)
    for _ in range(repeats):
        for index, step in enumerate(steps):
            gc.collect()
            started = time.process_time()
            for body in bodies:
                step(body)
            best[index] = min(best[index], time.process_time() - started)
    return best


def measure(
    lengths: tuple[int, ...] = LENGTHS,
    page_sizes: tuple[int, ...] = PAGE_SIZES,
    repeats: int = REPEATS,
    sized: int = 10_000,
) -> list[Row]:
    """Time each listing: ``lengths`` at 200 a page, then ``sized`` projects at ``page_sizes``."""

    def decode(body: bytes) -> Page[Project]:
        return converter.structure(body, Page[Project])

    plan = [(n, 200) for n in lengths] + [(sized, size) for size in page_sizes]
    rows: list[Row] = []
    for projects, per_page in plan:
        bodies = _listing(projects, per_page)
        count = len(bodies) * per_page
        if sum(len(decode(body)) for body in bodies) != count:
            msg = f"a listing of {projects} projects did not decode whole"
            raise RuntimeError(msg)
        scale = 1e6 / count
        ours, floor = (
            seconds * scale for seconds in _fastest((decode, json.loads), bodies, repeats)
        )
        rows.append((count, per_page, ours, floor))
        del bodies
    return rows


def report(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table."""
    lines = [
        "| projects | per page | decode, us/project | json.loads, us/project | ratio |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {count:,} | {per_page} | {ours:.3f} | {floor:.3f} | {ours / floor:.2f} |"
        for count, per_page, ours, floor in rows
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the growth table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.growth", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small listings, one repeat")
    args = parser.parse_args(argv)
    if args.quick:
        rows = measure(lengths=(200, 1_000), page_sizes=(20, 200), repeats=1, sized=1_000)
    else:
        rows = measure()
    print("\n".join(report(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A worker process: one client, timing the runs the harness asks for.

``python -m benchmarks.worker NAME`` reads one JSON request per line on stdin and answers one
JSON line on stdout. ``aiodo_projects+limiter`` is ``aiodo_projects`` with the rate limiter on.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import sys
import time
import tracemalloc
from typing import Any

__all__ = ["main", "run"]


def _digest(values: list[str]) -> str:
    return hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]


async def run(name: str, request: dict[str, Any]) -> dict[str, Any]:
    """Make the client, warm it up, then time one scenario (or walk it untimed to verify)."""
    from benchmarks.clients import CLIENTS  # noqa: PLC0415 -- only this worker's client

    client = CLIENTS[name](request["base_url"], request["token"])
    try:
        await client.warm_up()
        kind, per_page, concurrency = request["kind"], request["per_page"], request["concurrency"]
        if kind == "verify":
            ids = await client.ids(per_page, concurrency)
            return {"count": len(ids), "digest": _digest(ids)}
        gc.collect()
        memory = request.get("memory", False)
        if memory:
            tracemalloc.start()
            base, _ = tracemalloc.get_traced_memory()
        cpu, wall = time.process_time(), time.perf_counter()
        if kind == "list":
            count, last = await client.list_all(per_page, concurrency)
            check = last or ""
        else:
            names = await client.get_each(request["ids"], concurrency)
            count, check = len(names), _digest(names)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        result: dict[str, Any] = {"cpu": cpu, "wall": wall, "count": count, "check": check}
        if memory:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            result["peak"] = peak - base
        return result
    finally:
        await client.close()


def main() -> int:
    """Serve requests until stdin closes."""
    name = sys.argv[1]
    sys.stdout.write(json.dumps({"ready": name}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        try:
            answer = asyncio.run(run(name, json.loads(line)))
        except Exception as exc:  # noqa: BLE001 -- reported to the harness, which fails the run
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

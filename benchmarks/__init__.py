"""Benchmarks: aiodo_projects against the raw-aiohttp floor and pydo's async client.

Run ``python -m benchmarks`` (or ``nox -s bench``); ``--quick`` is a fast smoke run. The fake
API runs in its own process, every client in its own worker process, and the harness
alternates them round by round, so each figure is the client's own CPU time. See
``benchmarks/RESULTS.md`` for the latest table.
"""

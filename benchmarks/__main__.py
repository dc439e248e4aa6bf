"""``python -m benchmarks [--quick] [--rounds N] [--out DIR] [--clients a,b] [--only keys]``."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile

import attrs

from benchmarks.harness import Plan, available_clients, run_benchmarks
from benchmarks.report import Run, machine, markdown, plot, table

HERE = pathlib.Path(__file__).resolve().parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (small sizes)")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (median reported)")
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        help="where RESULTS.md, ratios.png and results.json go"
        " (default: benchmarks/, or a temporary directory with --quick)",
    )
    parser.add_argument(
        "--clients", help=f"comma-separated subset of {','.join(available_clients())}"
    )
    parser.add_argument("--only", help="comma-separated scenario keys (default: all)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib)")
    parser.add_argument(
        "--render",
        type=pathlib.Path,
        metavar="RESULTS_JSON",
        help="do not run: write RESULTS.md and the PNG again from a results.json",
    )
    return parser.parse_args(argv)


def _write(out: pathlib.Path, run: Run, *, draw: bool) -> None:
    (out / "RESULTS.md").write_text(markdown(run), encoding="utf-8")
    (out / "results.json").write_text(json.dumps(run.to_json(), indent=1) + "\n", encoding="utf-8")
    if draw:
        plot(run.results, out / "ratios.png")
    print("\n".join(table(run.results)))
    print(f"\nwritten to {out}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks (or re-render a past run) and write the results."""
    args = parse_args(argv)
    if args.render is not None:
        run = Run.from_json(json.loads(args.render.read_text(encoding="utf-8")))
        _write(args.out or args.render.parent, run, draw=not args.no_plot)
        return 0
    plan = Plan.quick() if args.quick else Plan()
    if args.rounds is not None:
        plan = attrs.evolve(plan, rounds=max(1, args.rounds))
    clients = available_clients()
    if args.clients:
        wanted = args.clients.split(",")
        unknown = set(wanted) - set(clients)
        if unknown:
            sys.stderr.write(f"not available here: {', '.join(sorted(unknown))}\n")
            return 2
        clients = wanted
    out = args.out or (
        pathlib.Path(tempfile.mkdtemp(prefix="aiodo-bench-")) if args.quick else HERE
    )
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    results = run_benchmarks(plan, clients, only=only)
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    if args.rounds is not None:
        command += f" --rounds {plan.rounds}"
    run = Run(results=results, rounds=plan.rounds, command=command, machine=machine())
    _write(out, run, draw=not args.no_plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())

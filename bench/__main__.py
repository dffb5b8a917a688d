"""``python -m bench``: run the measures and print ours against raw sqlite3, with a verdict.

    python -m bench                                  # 1,000,000-event ledger, every group
    python -m bench --events 10000 --only append     # a small, quick run
    python -m bench --json bench.json --workdir /var/tmp/bench --keep
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import MEASURES, Context, Result
from bench.harness import machine, peak_rss_mb


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="matchledger against raw sqlite3 on the same rows")
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="size of the generated ledger (default 1,000,000)")
    parser.add_argument("--only", default=",".join(MEASURES),
                        help=f"comma-separated groups (default all: {','.join(MEASURES)})")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (best kept)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--single", type=int, default=None,
                        help="events appended one per transaction (default: events/50, "
                             "at most 20,000)")
    parser.add_argument("--batch", type=int, default=None,
                        help="events appended in batches of 1,000 (default: events/5, at "
                             "most 200,000)")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where database files go (default: a temporary directory, "
                             "removed afterwards); must be a real disk, not tmpfs")
    parser.add_argument("--keep", action="store_true", help="keep the database files")
    parser.add_argument("--quiet", action="store_true", help="print the table only")
    return parser.parse_args(argv)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if value >= 1 else f"{value:.2g}"  # 0.5, 0.07, 0.0034


def table(results: Sequence[Result]) -> str:
    """The results as a plain-text table (stable for logs and CI)."""
    header = ("measure", "ours", "baseline", "ratio", "target", "result")
    lines = [header]
    for r in results:
        lines.append((r.measure, f"{_number(r.ours)} {r.unit}",
                      f"{_number(r.baseline)} {r.unit}" if r.baseline is not None else "-",
                      f"{_number(r.ratio)}x" if r.ratio is not None else "-", _target(r),
                      r.verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _target(r: Result) -> str:
    """What the row must reach: a ratio, a bound on ours, further named criteria."""
    parts = [f">= {r.target:g}x"] if r.target is not None else []
    if r.limit is not None:
        parts.append(f"{'<=' if r.lower_is_better else '>='} {r.limit:,g} {r.unit}")
    parts += [name for name, _ in r.checks]
    return "; ".join(parts) or "-"


def details(results: Sequence[Result]) -> str:
    """Per row: what the baseline is, bytes on disk per event, the spread of the runs, the
    row's own note (how it was measured), and what both sides do and skip."""
    out = []
    for r in results:
        ours, base = r.notes.get("ours", {}), r.notes.get("baseline", {})
        line = f"- {r.measure}: baseline = {r.baseline_label or '-'}"
        if "bytes_per_event" in ours:
            line += (f"; bytes/event on disk {ours['bytes_per_event']:,.0f} ours, "
                     f"{base['bytes_per_event']:,.0f} raw")
        if "median_events_per_s" in ours:
            line += (f"; median {ours['median_events_per_s']:,.0f} vs "
                     f"{base['median_events_per_s']:,.0f} {r.unit}")
        if r.notes.get("note"):
            line += f"; {r.notes['note']}"
        out.append(line)
        if r.compares:
            out.append(f"  compares: {r.compares}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in groups if g not in MEASURES]
    if unknown:
        print(f"unknown measure group(s) {', '.join(unknown)}; known: {', '.join(MEASURES)}",
              file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="matchledger-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context.sized(args.events, workdir, seed=args.seed, repeat=args.repeat,
                        single=args.single, batch=args.batch, verbose=not args.quiet)
    if not args.quiet:
        print(f"matchledger bench: {args.events:,}-event ledger (seed {args.seed}), "
              f"samples: {ctx.single:,} single appends, {ctx.batch:,} in batches; "
              f"files in {workdir}", flush=True)
    started = time.perf_counter()
    results: list[Result] = []
    try:
        for group in groups:
            results += MEASURES[group](ctx)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    print()
    print(table(results))
    print()
    print(details(results))
    print(f"\n{elapsed:,.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps({
            "events": args.events, "seed": args.seed, "repeat": args.repeat,
            "single": ctx.single, "batch": ctx.batch, "seconds": round(elapsed, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "machine": machine(),
            "results": [r.as_json() for r in results]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

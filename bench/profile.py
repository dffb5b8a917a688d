"""Profile the append path: ``python -m bench.profile {single,batch}``.

    python -m bench.profile batch --events 1000000 --count 50000
    python -m bench.profile single --count 5000 --pyinstrument     # if pyinstrument is installed

``batch`` appends the first ``count`` events 1,000 per transaction into an empty ledger;
``single`` appends ``count`` events one per transaction onto a ledger already holding
``history`` events (as the bench rows do). cProfile (the default) prints the functions with
the most own time and the most cumulative time; pyinstrument prints its call tree.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.append import append_batches, append_single
from bench.harness import Context, copy_db, prefill
from matchledger.ledger import Ledger


def _workload(args: argparse.Namespace, workdir: Path) -> Callable[[], float]:
    ctx = Context(events=args.events, workdir=workdir, verbose=False)
    if args.mode == "batch":
        sample = ctx.head(args.count)
        path = ctx.path("profile-batch.db")

        def run() -> float:
            with Ledger(path) as ledger:
                return append_batches(ledger, sample)

        return run
    at = args.history if args.history is not None else Context.sized(
        args.events, workdir).single_at
    history = ctx.head(at)
    sample = ctx.slice(at, at + args.count)
    seed = ctx.path("profile-history.db")
    prefill(seed, history)
    path = workdir / "profile-single.db"
    copy_db(seed, path)

    def run_single() -> float:
        with Ledger(path) as ledger:
            return append_single(ledger, sample)

    return run_single


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("mode", choices=("single", "batch"))
    parser.add_argument("--events", type=int, default=1_000_000, help="generated ledger size")
    parser.add_argument("--count", type=int, default=None,
                        help="events profiled (default 50,000 batch, 5,000 single)")
    parser.add_argument("--history", type=int, default=None,
                        help="events already in the ledger for single appends (default: as "
                             "the bench row, half a season after the batch sample)")
    parser.add_argument("--top", type=int, default=35, help="functions listed")
    parser.add_argument("--pyinstrument", action="store_true", help="use pyinstrument")
    args = parser.parse_args(argv)
    args.count = args.count or (50_000 if args.mode == "batch" else 5_000)
    with tempfile.TemporaryDirectory(prefix="matchledger-profile-") as tmp:
        run = _workload(args, Path(tmp))
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            seconds = run()
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        else:
            prof = cProfile.Profile()
            seconds = prof.runcall(run)
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
    print(f"{args.mode}: {args.count:,} events in {seconds:.2f} s under the profiler "
          f"({args.count / seconds:,.0f} events/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks of matchledger against raw sqlite3 on the same rows: ``python -m bench``.

    python -m bench                          # a generated ledger of 1,000,000 events
    python -m bench --events 10000 --only append --json bench.json
    python -m bench.profile batch            # where the append path spends its time

``bench.generate`` makes a realistic, deterministic ledger (seasons of leagues and cups) as
append batches, and the exact rows the ledger stores for them (``rows``), so a baseline inserts
the same bytes. ``bench.harness`` holds the run's ``Context`` (sizes, work directory, the
generated events, ``full_ledger()``: the whole ledger in a file, built once), the ``Result``
rows and the registry of measures.

Rows so far: ``append`` (one event per transaction; batches of 1,000) and ``rebuild`` (every
projection from nothing). To add a row, write ``def rows(ctx: Context) -> list[Result]`` in a
module of its own, decorate it with ``@measure("group")``, import the module here, and time
both sides with ``ctx.best_of(ours, baseline)``. Rows planned, and what each would compare:

- ``catchup``: ``projections.catch_up`` of the last N events onto stored read models, against
  raw ``SELECT ... WHERE position > ?`` + ``json.loads`` of those N rows.
- ``timetravel``: bracket / streaks ``as_of`` a date mid-season of ``full_ledger()`` (snapshot
  plus replay), against raw ``SELECT ... WHERE occurred_at <= ?`` of the rows involved.
- ``eventsourcing``: the same drafts through the ``eventsourcing`` library's SQLite recorder.
- ``rss``: peak resident memory of a rebuild, in a subprocess (``resource.getrusage``).
"""

from bench import append, rebuild  # noqa: F401  (importing registers the measures)
from bench.generate import Plan, generate, plan_for, rows
from bench.harness import MEASURES, Context, Result, measure

__all__ = ["MEASURES", "Context", "Plan", "Result", "generate", "measure", "plan_for", "rows"]

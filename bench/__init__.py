"""Benchmarks of matchledger against raw sqlite3 on the same rows: ``python -m bench``.

    python -m bench                          # a generated ledger of 1,000,000 events
    python -m bench --events 10000 --only append --json bench.json
    python -m bench.profile batch            # where the append path spends its time

``bench.generate`` makes a realistic, deterministic ledger (seasons of leagues and cups) as
append batches, and the exact rows the ledger stores for them (``rows``), so a baseline inserts
the same bytes. ``bench.harness`` holds the run's ``Context`` (sizes, work directory, the
generated events, ``full_ledger()``: the whole ledger in a file, built once), the ``Result``
rows and the registry of measures.

The rows, in the order of the table (``--only`` takes the group names):

- ``append``: one event per transaction; batches of 1,000 — against raw sqlite3 inserting the
  same rows (``bench.append``).
- ``rebuild``: every projection from nothing, against raw ``SELECT`` + ``json.loads``.
- ``catchup``: the read models caught up after 1,000 new events, by a long-lived
  ``Projector`` and by ``projections.catch_up`` starting afresh (< 20 ms). It leaves the
  *projected ledger* (every event, read models, snapshots) that the next two rows share.
- ``timetravel``: a cup's bracket and a team's streaks as of random moments
  (``state_at`` + view), against a full replay to the same moment (>= 100x; < 50 ms).
- ``disk``: bytes on disk per event of the projected ledger, broken down (<= 300).
- ``eventsourcing``: append and full replay of the same events through the
  ``eventsourcing`` library's SQLite persistence (ours >= 5x); skipped if not installed.
- ``memory``: peak RSS of a rebuild and of an import in a subprocess, at a tenth of the
  ledger and the whole of it (< 300 MB, sub-linear).
- ``serve``: ``matchledger serve`` on loopback: append over HTTP to the event at an SSE client
  (p50, p99 <= 50 ms), a bracket as of a moment over HTTP (p50 <= 30 ms), and 100 feed
  clients receiving every event in order while appends run (none lost) (``bench.serve``).
- ``postgres``: the ledger on PostgreSQL against raw psycopg on the same rows: appends (one
  per transaction, batches), rebuild, and the follower's lag under eight writers beside a
  SQLite file's (``bench.postgres``); skipped without psycopg or a server.

To add a row, write ``def rows(ctx: Context) -> list[Result]`` in a module of its own,
decorate it with ``@measure("group")``, import the module here and place its group in
``ORDER``; time both sides with ``ctx.best_of(ours, baseline)``, or report medians of
samples when a row is a latency.
"""

from bench import (  # noqa: F401  (importing registers the measures)
    append,
    catchup,
    disk,
    memory,
    postgres,
    pyeventsourcing,
    rebuild,
    serve,
    timetravel,
)
from bench.generate import Plan, generate, plan_for, rows
from bench.harness import MEASURES, Context, Result, measure

ORDER = ("append", "rebuild", "catchup", "timetravel", "disk", "eventsourcing", "memory",
         "serve", "postgres")
for _group in ORDER:  # the table's order, whatever the order of the imports
    MEASURES[_group] = MEASURES.pop(_group)

__all__ = ["MEASURES", "ORDER", "Context", "Plan", "Result", "generate", "measure", "plan_for",
           "rows"]

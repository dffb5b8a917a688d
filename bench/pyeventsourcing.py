"""The same events through the ``eventsourcing`` library (pyeventsourcing), on its SQLite
persistence: ``pip install 'matchledger[bench]'``. The row is skipped, with a note, without it.

Both sides take the first ``sample`` events of the generated ledger (100,000 at a million)
in the same transactions of 1,000 (``bench.generate.chunks``), into a new WAL file with
``synchronous=FULL`` (SQLite's default, which eventsourcing keeps; the ledger sets it).

- **append, ours**: ``bench.append.append_batches``, the path ``import_lines`` takes: per
  transaction, the idempotency lookup, then per stream run the version check, validation,
  encoding (cattrs, JSON) and the hash chain, and one ``executemany``.
- **append, eventsourcing**: an ``Application`` with ``PERSISTENCE_MODULE=eventsourcing.sqlite``
  and ``SQLITE_DBNAME=<file>``, one ``Stream`` aggregate per ledger stream (id: a UUID5 of
  the stream name), each ledger event one aggregate event — the stream's first event creates
  the aggregate — carrying the event's id, type name, data (the dict our codec makes, made
  before the clock starts), ``occurred_at`` and meta; per transaction the events are
  triggered on the aggregates and ``app.save(*aggregates)`` records them (its default JSON
  transcoder, its ``SQLiteApplicationRecorder``, one transaction). Its aggregates stay in
  memory from one transaction to the next (no ``repository.get``), which favours it.
- **replay, ours**: ``fold_all(ledger.read())``: every event read in order, decoded into its
  attrs class, and folded into the state every projection is a view of (match states,
  fixtures, ties, ...). The note also gives the read and decode alone.
- **replay, eventsourcing**: its notification log read in order, 1,000 at a time
  (``app.notification_log.select``), each notification mapped back to a domain event
  (``app.mapper.to_domain_event``) and applied to its aggregate (``event.mutate``): every
  aggregate rebuilt, in one pass. Its aggregates only count their events, so ours does more
  work per event.

Each side runs ``RUNS`` times (at least 5), alternating which goes first, and the row compares
the medians. Targets: append at least eventsourcing's speed (1.0x: ours does more, the rules
and the hash chain), full replay at least 1.5x.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.append import BATCH, append_batches
from bench.generate import Batch, chunks
from bench.harness import Context, Result, event_count, measure, median, remove_db
from matchledger.ledger import Ledger
from matchledger.ledger.codec import encode
from matchledger.projections import fold_all

APPEND_TARGET, REPLAY_TARGET = 1.0, 1.5
RUNS = 5  # at least, alternating; the medians are compared
SAMPLE = 100_000

# one transaction: per stream, (event_id, type name, data, occurred_at, meta) of each event
Transaction = list[tuple[str, list[tuple[str, str, dict[str, Any], dt.datetime,
                                         dict[str, Any]]]]]


def sample_size(events: int) -> int:
    """100,000 events at a million, a tenth of the ledger below that (at least 1,000)."""
    return min(SAMPLE, max(1_000, events // 10), events)


try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # the row is skipped
    VERSION: str | None = None
else:
    VERSION = importlib.metadata.version("eventsourcing")

    # at module level: the library finds event classes again by topic (module, qualname)
    class Stream(Aggregate):
        """One aggregate per ledger stream; each of its events is one ledger event."""

        @staticmethod
        def create_id(stream: str) -> uuid.UUID:
            return uuid.uuid5(uuid.NAMESPACE_URL, f"matchledger:{stream}")

        @event("Recorded")
        def __init__(self, stream: str, event_id: str, type_name: str, data: dict[str, Any],
                     occurred_at: dt.datetime, meta: dict[str, Any]) -> None:
            self.stream = stream
            self.events = 1

        @event("Appended")
        def append(self, event_id: str, type_name: str, data: dict[str, Any],
                   occurred_at: dt.datetime, meta: dict[str, Any]) -> None:
            self.events += 1

    class Matches(Application[uuid.UUID]):
        log_section_size = 1_000  # notifications per select when replaying


def transactions(sample: Sequence[Batch]) -> list[Transaction]:
    """The sample in transactions of ``BATCH`` events, with each event's fields ready for an
    aggregate event (the data dict is our codec's: what the ledger stores as JSON)."""
    out: list[Transaction] = []
    for chunk in chunks(sample, BATCH):
        out.append([(stream, [(d.event_id, *_typed(d.event), d.occurred_at, dict(d.meta))
                              for d in drafts]) for stream, drafts in chunk])
    return out


def _typed(event: Any) -> tuple[str, dict[str, Any]]:
    type_name, _schema, data = encode(event)
    return type_name, data


def _app(path: Path) -> Any:
    return Matches(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                        "SQLITE_DBNAME": str(path)})


def es_append(path: Path, txns: Sequence[Transaction]) -> float:
    """Seconds to record every transaction through ``app.save``."""
    app = _app(path)
    aggregates: dict[str, Any] = {}
    began = time.perf_counter()
    for txn in txns:
        touched = []
        for stream, events in txn:
            aggregate = aggregates.get(stream)
            for event_id, type_name, data, occurred_at, meta in events:
                if aggregate is None:
                    aggregate = aggregates[stream] = Stream(
                        stream=stream, event_id=event_id, type_name=type_name, data=data,
                        occurred_at=occurred_at, meta=meta)
                else:
                    aggregate.append(event_id=event_id, type_name=type_name, data=data,
                                     occurred_at=occurred_at, meta=meta)
            touched.append(aggregate)
        app.save(*touched)
    elapsed = time.perf_counter() - began
    app.close()
    return elapsed


def es_replay(path: Path) -> tuple[float, int]:
    """(seconds, events) to rebuild every aggregate from the notification log, in order."""
    app = _app(path)
    began = time.perf_counter()
    aggregates: dict[Any, Any] = {}
    to_domain_event, select = app.mapper.to_domain_event, app.notification_log.select
    start, count = 1, 0
    while notifications := select(start, app.log_section_size):
        for notification in notifications:
            domain_event = to_domain_event(notification)
            key = domain_event.originator_id
            aggregates[key] = domain_event.mutate(aggregates.get(key))
        count += len(notifications)
        start = notifications[-1].id + 1
    elapsed = time.perf_counter() - began
    app.close()
    return elapsed, count


def our_replay(path: Path) -> tuple[float, float]:
    """(seconds to read, decode and fold every event; seconds to read and decode only)."""
    with Ledger(path) as ledger:
        began = time.perf_counter()
        fold_all(ledger.read())
        folded = time.perf_counter() - began
        began = time.perf_counter()
        for _ in ledger.read():
            pass
        return folded, time.perf_counter() - began


@measure("eventsourcing")
def eventsourcing_rows(ctx: Context) -> list[Result]:
    if VERSION is None:
        ctx.log("eventsourcing: skipped, the library is not installed "
                "(pip install 'matchledger[bench]')")
        return []
    version = VERSION
    sample = ctx.head(sample_size(ctx.events))
    n = event_count(sample)
    repeat = max(ctx.repeat, RUNS)
    ctx.log(f"eventsourcing {version}: append {n:,} events in batches of {BATCH:,}, then "
            f"replay them, {repeat} runs each side")
    txns = transactions(sample)
    ours_path, theirs_path = ctx.path("es-ours.db"), ctx.path("es-theirs.db")

    def ours() -> float:
        remove_db(ours_path)
        with Ledger(ours_path) as ledger:
            return append_batches(ledger, sample)

    def theirs() -> float:
        remove_db(theirs_path)
        return es_append(theirs_path, txns)

    saved, ctx.repeat = ctx.repeat, repeat
    try:
        mine, other = ctx.best_of(ours, theirs)
        decode_only: list[float] = []
        replayed: list[int] = []

        def ours_replay() -> float:
            folded, read = our_replay(ours_path)
            decode_only.append(read)
            return folded

        def theirs_replay() -> float:
            seconds, count = es_replay(theirs_path)
            replayed.append(count)
            return seconds

        mine_r, other_r = ctx.best_of(ours_replay, theirs_replay)
    finally:
        ctx.repeat = saved
    if set(replayed) != {n}:
        raise AssertionError(f"eventsourcing replayed {replayed} events, not {n}")
    label = f"eventsourcing {version}, SQLite (WAL), same events"
    append_ours, append_theirs = median(mine.runs), median(other.runs)
    replay_ours, replay_theirs = median(mine_r.runs), median(other_r.runs)
    return [
        Result(measure=f"append, batches of {BATCH:,}: ours vs eventsourcing", unit="events/s",
               ours=n / append_ours, baseline=n / append_theirs, target=APPEND_TARGET,
               baseline_label=f"{label}, Application.save per 1,000",
               compares="ours: Ledger.append_batch per 1,000 events, as import does: the "
                        "idempotency lookup, each stream's version check, the match rules, "
                        "encoding and the hash chain, one INSERT per event into a table with "
                        "five indexes; eventsourcing: aggregate events triggered on aggregates "
                        "kept in memory (no repository.get), its JSON transcoder and "
                        "app.save: a version check by its primary key, no rules, no chain; "
                        f"both WAL, synchronous=FULL; median of {repeat} alternating runs",
               notes={"events": n, "library": version, "ours": mine.summary(n),
                      "baseline": other.summary(n),
                      "note": f"median of {repeat} runs each side"}),
        Result(measure="full replay: ours vs eventsourcing", unit="events/s",
               ours=n / replay_ours, baseline=n / replay_theirs, target=REPLAY_TARGET,
               baseline_label=f"{label}, notification log + to_domain_event + mutate",
               compares="ours: fold_all(ledger.read()): every row read in order, decoded "
                        "into its event class and folded into the state every projection "
                        "views (match states, fixtures, ties, teams); eventsourcing: its "
                        "notification log read 1,000 at a time, each mapped back to its "
                        "domain event and applied to its aggregate, which only counts its "
                        f"events; median of {repeat} alternating runs",
               notes={"events": n, "library": version, "ours": mine_r.summary(n),
                      "baseline": other_r.summary(n),
                      "ours_read_decode_only_events_per_s": round(n / min(decode_only), 1),
                      "note": f"median of {repeat} runs each side; ours read + decode alone "
                              f"{n / min(decode_only):,.0f} events/s"}),
    ]


__all__ = ["APPEND_TARGET", "REPLAY_TARGET", "VERSION", "es_append", "es_replay",
           "eventsourcing_rows", "our_replay", "sample_size", "transactions"]

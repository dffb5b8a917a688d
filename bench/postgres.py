"""PostgreSQL: the ledger on PostgreSQL against raw psycopg on the same rows, beside SQLite.

The server is ``MATCHLEDGER_BENCH_PG`` (a URL where the bench may make schemas), or else a
throwaway cluster started for the run (``tests/pgcluster.py``, fsync on: appends as durable as
SQLite's ``synchronous=FULL``); with neither psycopg nor a server, the rows are skipped. Each
side gets a schema of its own, with the ledger's table, indexes and triggers:

- **append, one event per transaction**: ``Ledger.append`` of the first ``single`` events (at
  most 5,000), against one ``INSERT`` per transaction of the rows the ledger stores for them;
- **append, batches of 1,000**: ``Ledger.append_batch`` as ``import_lines`` does, against one
  ``executemany`` of the same 1,000 rows per transaction;
- **rebuild**: every projection from nothing, read models written to the same database,
  against ``SELECT`` of every row + ``json.loads``;
- **follower lag under eight writers**: eight processes append one event per transaction for
  a few seconds while a follower reads past its last position, woken by NOTIFY; the lag of an
  event is from its ``recorded_at`` (the ledger's clock in the append's transaction) to the
  moment the follower has it. Beside it, the same on a SQLite file, where the follower polls
  every 50 ms as ``serve`` does; the ratio is SQLite's p99 over PostgreSQL's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bench.append import BATCH, append_batches, append_single
from bench.generate import Batch, rows
from bench.harness import COLUMNS as STORED
from bench.harness import Context, Result, event_count, measure
from matchledger.events import CompetitionCreated, TeamRegistered
from matchledger.ledger import Draft, EventStore, Ledger
from matchledger.ledger.eventstore import GENESIS

ENV = "MATCHLEDGER_BENCH_PG"
# PostgreSQL stores each row's prev_hash, as a format 1 ledger file did
COLUMNS = STORED.replace(", hash", ", prev_hash, hash")
INSERT = f"INSERT INTO events ({COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"
PgRow = tuple[Any, ...]
WRITERS = 8
WRITE_SECONDS = 4.0
SQLITE_POLL = 0.05  # serve's poll of a file


@contextlib.contextmanager
def server(ctx: Context) -> Iterator[str | None]:
    """The URL of a PostgreSQL server to measure on; None (said why) where none can be had."""
    if importlib.util.find_spec("psycopg") is None:
        ctx.log("postgres: skipped, psycopg is not installed (the postgres extra)")
        yield None
        return
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    spec = importlib.util.spec_from_file_location(
        "pgcluster", Path(__file__).resolve().parent.parent / "tests" / "pgcluster.py")
    if spec is None or spec.loader is None:
        yield None
        return
    cluster = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cluster)
    directory = Path(tempfile.mkdtemp(prefix="matchledger-bench-pg-"))
    directory.chmod(0o755)
    try:
        try:
            url = cluster.start(directory, durable=True)
        except (RuntimeError, OSError) as e:
            ctx.log(f"postgres: skipped, no server ({ENV} unset) and none would start: {e}")
            yield None
            return
        yield url
    finally:
        cluster.stop(directory)


class Schemas:
    """Fresh schemas on the server, each a ledger location; all dropped at the end."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url, self.made = url, list[str]()
        self.admin = psycopg.connect(url, autocommit=True)

    def new(self) -> str:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f"CREATE SCHEMA {name}".encode())
        self.made.append(name)
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}options=-csearch_path%3D{name}"

    def close(self) -> None:
        for name in self.made:
            self.admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE".encode())
        self.admin.close()


def pg_rows(batches: Iterable[Batch]) -> Iterator[PgRow]:
    """The rows the ledger stores on PostgreSQL for these batches: a file's, with prev_hash."""
    prev = GENESIS
    for row in rows(batches):
        yield (*row[:10], prev, row[10])
        prev = row[10]


def raw_inserts(url: str, transactions: list[list[PgRow]]) -> float:
    """Seconds to insert the rows with psycopg, one transaction per list, into a fresh
    ledger table (the same table, indexes and triggers)."""
    import psycopg

    EventStore(url).close()  # the ledger's table, empty
    with psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        for transaction in transactions:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(INSERT, transaction)
        return time.perf_counter() - start


def raw_read(url: str) -> float:
    """Seconds to select every row in order and parse its JSON columns."""
    import psycopg

    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        for row in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY position"):
            json.loads(row[8])
            if row[9] is not None:
                json.loads(row[9])
        return time.perf_counter() - start


@measure("postgres")
def postgres_rows(ctx: Context) -> list[Result]:
    with server(ctx) as url:
        if url is None:
            return []
        schemas = Schemas(url)
        try:
            return [_single(ctx, schemas), _batches(ctx, schemas), _rebuild(ctx, schemas),
                    _lag(ctx, schemas)]
        finally:
            schemas.close()


def _single(ctx: Context, schemas: Schemas) -> Result:
    sample = ctx.head(min(ctx.single, 5_000))
    n = event_count(sample)
    ctx.log(f"postgres: append, one event per transaction: {n:,} events, {ctx.repeat} runs "
            "each side")
    raw = [[row] for row in pg_rows(sample)]

    def ours() -> float:
        with Ledger(schemas.new()) as ledger:
            return append_single(ledger, sample)

    mine, theirs = ctx.best_of(ours, lambda: raw_inserts(schemas.new(), raw))
    return Result(measure="postgres: append, one event per transaction", unit="events/s",
                  ours=n / mine.best, baseline=n / theirs.best, target=0.5,
                  baseline_label="psycopg, same rows, one INSERT per transaction",
                  notes={"events": n, "ours": mine.summary(n), "baseline": theirs.summary(n)})


def _batches(ctx: Context, schemas: Schemas) -> Result:
    sample = ctx.head(ctx.batch)
    n = event_count(sample)
    ctx.log(f"postgres: append, batches of {BATCH:,}: {n:,} events, {ctx.repeat} runs each side")
    raw = list(pg_rows(sample))
    transactions = [raw[i : i + BATCH] for i in range(0, len(raw), BATCH)]

    def ours() -> float:
        with Ledger(schemas.new()) as ledger:
            return append_batches(ledger, sample)

    mine, theirs = ctx.best_of(ours, lambda: raw_inserts(schemas.new(), transactions))
    return Result(measure=f"postgres: append, batches of {BATCH:,}", unit="events/s",
                  ours=n / mine.best, baseline=n / theirs.best, target=0.5,
                  baseline_label="psycopg executemany, same rows, 1 txn per 1,000",
                  notes={"events": n, "ours": mine.summary(n), "baseline": theirs.summary(n)})


def _rebuild(ctx: Context, schemas: Schemas) -> Result:
    from matchledger.projections import rebuild

    sample = ctx.head(ctx.batch)
    n = event_count(sample)
    location = schemas.new()
    raw_inserts(location, [list(pg_rows(sample))])
    repeat = min(ctx.repeat, 2)
    ctx.log(f"postgres: rebuild every projection from nothing: {n:,} events, {repeat} runs "
            "each side")

    def ours() -> float:
        with Ledger(location) as ledger:
            start = time.perf_counter()
            rebuild(ledger)
            return time.perf_counter() - start

    saved, ctx.repeat = ctx.repeat, repeat
    try:
        mine, theirs = ctx.best_of(ours, lambda: raw_read(location))
    finally:
        ctx.repeat = saved
    return Result(measure="postgres: rebuild every projection from nothing", unit="events/s",
                  ours=n / mine.best, baseline=n / theirs.best,
                  baseline_label="psycopg SELECT every row + json.loads",
                  notes={"events": n, "ours": mine.summary(n), "baseline": theirs.summary(n)})


def _writer(location: str, writer: int, seconds: float) -> None:
    """Append one team per transaction to a competition of its own for ``seconds``."""
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    stream = f"competition:bench-w{writer}"
    with Ledger(location) as ledger:
        ledger.append(stream, [Draft(event=CompetitionCreated(
            competition=f"bench-w{writer}", name=f"W{writer}", season="2024"),
            occurred_at=when)], expected_version=-1)
        until, n = time.monotonic() + seconds, 0
        while time.monotonic() < until:
            n += 1
            ledger.append(stream, [Draft(event=TeamRegistered(team=f"t{n}", name=f"T{n}"),
                                         occurred_at=when)], expected_version=n - 1)


def follower_lag(location: str, pause: float) -> tuple[list[float], int]:
    """Lags (ms) of every event the follower saw while ``WRITERS`` processes appended, and
    how many it saw; ``pause`` is the longest wait between two reads."""
    spawn = multiprocessing.get_context("spawn")
    with EventStore(location) as follower:
        procs = [spawn.Process(target=_writer, args=(location, n, WRITE_SECONDS))
                 for n in range(WRITERS)]
        for p in procs:
            p.start()
        lags: list[float] = []
        last = 0
        while any(p.is_alive() for p in procs):
            for env in follower.read(after=last):
                seen = dt.datetime.now(dt.UTC)
                lags.append((seen - env.recorded_at).total_seconds() * 1000)
                last = env.position
            follower.wait(pause)
        for p in procs:
            p.join()
    return lags, last


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _lag(ctx: Context, schemas: Schemas) -> Result:
    ctx.log(f"postgres: follower lag, {WRITERS} writers for {WRITE_SECONDS:g} s, on "
            "PostgreSQL then SQLite")
    pg, pg_events = follower_lag(schemas.new(), 1.0)
    with tempfile.TemporaryDirectory(dir=ctx.workdir) as folder:
        lite, lite_events = follower_lag(str(Path(folder) / "lag.db"), SQLITE_POLL)
    notes: dict[str, Any] = {
        "note": f"{WRITERS} writers, one event per transaction, {WRITE_SECONDS:g} s: "
                f"PostgreSQL {pg_events / WRITE_SECONDS:,.0f} events/s, p50 "
                f"{_percentile(pg, 0.5):.1f} ms (NOTIFY); SQLite {lite_events / WRITE_SECONDS:,.0f}"
                f" events/s, p50 {_percentile(lite, 0.5):.1f} ms (poll every "
                f"{SQLITE_POLL * 1000:g} ms)"}
    return Result(measure="postgres: follower lag p99 under 8 writers", unit="ms",
                  ours=_percentile(pg, 0.99), baseline=_percentile(lite, 0.99),
                  lower_is_better=True, baseline_label="SQLite file, follower polling 50 ms",
                  notes=notes)


__all__ = ["follower_lag", "postgres_rows", "raw_inserts", "raw_read"]

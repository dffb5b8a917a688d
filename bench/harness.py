"""What every measure shares: the run's context, its results, and the registry of measures.

A measure is a function from ``Context`` to a list of ``Result`` rows, registered under a group
name that ``python -m bench --only`` selects:

    @measure("rebuild")
    def rebuild_rows(ctx: Context) -> list[Result]:
        path = ctx.full_ledger()            # the generated ledger, built once and cached
        ours, base = ctx.best_of(lambda: ..., lambda: ...)
        return [Result(measure="rebuild ...", unit="events/s", ours=..., baseline=...,
                       target=1.0)]

A ratio always says how many times better ours is than the baseline: ``ours / baseline`` of a
speed, ``baseline / ours`` of a time or a size (``lower_is_better``). So a target of 0.5 means
"at least half the speed of raw sqlite3 on the same rows", and 100 "a hundredth of the time".
A row may also bound ``ours`` itself (``limit``: "< 20 ms", "<= 300 bytes") and name further
criteria (``checks``); its verdict is PASS when every one of them holds. Both sides of a ratio
are timed in the same run, alternately, and the best of ``repeat`` runs of each is kept: on a
shared, noisy machine the minimum is the least disturbed estimate.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from bench.generate import Batch, Row, flatten, generate, plan_for, rows
from matchledger.ledger import Ledger

COLUMNS = ("position, event_id, stream, version, type, schema_version, occurred_at, "
           "recorded_at, data, meta, hash")  # as a new ledger file stores them
INSERT = f"INSERT INTO events ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Result:
    """One row of the table."""

    measure: str
    unit: str
    ours: float
    baseline: float | None = None
    target: float | None = None  # minimum ratio (how many times better than the baseline)
    baseline_label: str = ""
    limit: float | None = None  # bound on ``ours`` itself (at most, if lower is better)
    lower_is_better: bool = False  # a time or a size, not a speed
    checks: tuple[tuple[str, bool], ...] = ()  # further criteria, by name, and whether they hold
    # what both sides do and what each skips, printed beside the row: a ratio means nothing
    # without it
    compares: str = ""
    notes: dict[str, Any] = attrs.field(factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline or not self.ours:
            return None
        return self.baseline / self.ours if self.lower_is_better else self.ours / self.baseline

    @property
    def within_limit(self) -> bool | None:
        if self.limit is None:
            return None
        return self.ours <= self.limit if self.lower_is_better else self.ours >= self.limit

    @property
    def verdict(self) -> str:
        outcomes = [ok for _, ok in self.checks]
        if self.target is not None and self.ratio is not None:
            outcomes.append(self.ratio >= self.target)
        if self.limit is not None:
            outcomes.append(bool(self.within_limit))
        if not outcomes:
            return "-"
        return "PASS" if all(outcomes) else "MISS"

    def as_json(self) -> dict[str, Any]:
        return {"measure": self.measure, "unit": self.unit, "ours": self.ours,
                "baseline": self.baseline, "baseline_label": self.baseline_label,
                "ratio": self.ratio, "target": self.target, "limit": self.limit,
                "lower_is_better": self.lower_is_better,
                "checks": [{"check": name, "ok": ok} for name, ok in self.checks],
                "verdict": self.verdict, "compares": self.compares, "notes": self.notes}


@attrs.define
class Timing:
    """Seconds of each repeat of one side of a comparison."""

    runs: list[float] = attrs.field(factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    def summary(self, events: int) -> dict[str, Any]:
        return {"runs_s": [round(r, 4) for r in self.runs],
                "best_events_per_s": round(events / self.best, 1),
                "median_events_per_s": round(events / statistics.median(self.runs), 1)}


@attrs.define
class Context:
    """One run of the bench: its size, where its files go, and the generated events."""

    events: int
    workdir: Path
    seed: int = 1
    repeat: int = 3
    single: int = 20_000
    batch: int = 200_000
    verbose: bool = True
    _prefix: list[Batch] = attrs.field(factory=list, init=False)
    _prefix_events: int = attrs.field(default=0, init=False)
    _stream: Iterator[Batch] | None = attrs.field(default=None, init=False)
    _made: dict[str, Any] = attrs.field(factory=dict, init=False)

    @classmethod
    def sized(cls, events: int, workdir: Path, **options: Any) -> Context:
        """Samples scaled to the ledger size: 20,000 single appends and 200,000 events in
        batches for a million, proportionally less below that."""
        single = options.pop("single", None) or min(20_000, max(100, events // 50))
        batch = options.pop("batch", None) or min(200_000, max(1_000, events // 5))
        return cls(events=events, workdir=workdir, single=single, batch=batch, **options)

    @property
    def single_at(self) -> int:
        """Where the single-append sample starts: half a season after the batch sample, so
        that it is live match entry (not a season's fixture lists) onto a ledger with history."""
        half_season = self.events // (2 * plan_for(self.events).seasons)
        return max(0, min(self.events - self.single, self.batch + half_season))

    def log(self, message: str) -> None:
        if self.verbose:
            print(f"  {message}", flush=True)

    # --- the generated ledger --------------------------------------------------------------

    def head(self, count: int) -> list[Batch]:
        """The first ``count`` events of the generated ledger, as append batches."""
        if self._stream is None:
            self._stream = generate(events=self.events, seed=self.seed)
        while self._prefix_events < count:
            batch = next(self._stream, None)
            if batch is None:
                break
            self._prefix.append(batch)
            self._prefix_events += len(batch[1])
        return list(_cut(self._prefix, count))

    def slice(self, start: int, stop: int) -> list[Batch]:
        """Events ``start`` to ``stop`` (0-based, end excluded) as batches."""
        return list(_cut(_skip(self.head(stop), start), stop - start))

    def path(self, name: str) -> Path:
        """A fresh database path in the work directory (any old file of that name removed)."""
        path = self.workdir / name
        remove_db(path)
        return path

    def full_ledger(self) -> Path:
        """The whole generated ledger (``events`` events) in a ledger file, built once with
        raw inserts of the rows the ledger stores (the generator is checked against the real
        append path by the tests) and cached by size and seed."""
        path = self.workdir / f"ledger-{self.events}-{self.seed}.db"
        if not path.exists():
            self.log(f"building the {self.events:,}-event ledger at {path} ...")
            tmp = self.path(path.name + ".tmp")
            conn = baseline_connection(tmp)
            stream = generate(events=self.events, seed=self.seed)
            for chunk in _batched(rows(stream), 10_000):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(INSERT, chunk)
                conn.execute("COMMIT")
            checkpoint(conn)
            conn.close()
            tmp.rename(path)
        return path

    def once(self, key: str, make: Callable[[], T]) -> T:
        """``make()`` the first time ``key`` is asked for in this run, the same value after:
        what several rows share (a ledger with its read models, an export) is made once."""
        if key not in self._made:
            self._made[key] = make()
        made: T = self._made[key]
        return made

    def prefix_ledger(self, count: int) -> Path:
        """The first ``count`` events of ``full_ledger()`` in a ledger file of their own
        (copied as stored, by ``copy_events``), built once per run."""

        def make() -> Path:
            path = self.path(f"prefix-{count}.db")
            conn = baseline_connection(path)
            copy_events(conn, self.full_ledger(), after=0, upto=count)
            checkpoint(conn)
            conn.close()
            return path

        return self.once(f"prefix:{count}", make)

    # --- timing ----------------------------------------------------------------------------

    def best_of(self, ours: Callable[[], float], baseline: Callable[[], float]
                ) -> tuple[Timing, Timing]:
        """Run both sides ``repeat`` times, alternating which goes first; each callable
        prepares its own files and returns the seconds of the part it measures."""
        mine, theirs = Timing(), Timing()
        for r in range(self.repeat):
            order = ((mine, ours), (theirs, baseline))
            for timing, run in order if r % 2 == 0 else order[::-1]:
                timing.runs.append(run())
        return mine, theirs


def matchledger() -> list[str]:
    """The console script beside this interpreter, as a person runs it (else ``-m``)."""
    script = Path(sys.executable).with_name("matchledger")
    if script.exists():
        return [str(script)]
    found = shutil.which("matchledger")
    return [found] if found else [sys.executable, "-m", "matchledger.cli.main"]


def _cut(batches: Iterable[Batch], count: int) -> Iterator[Batch]:
    left = count
    for stream, drafts in batches:
        if left <= 0:
            return
        part = drafts[:left]
        left -= len(part)
        yield stream, part


def _skip(batches: Iterable[Batch], count: int) -> Iterator[Batch]:
    left = count
    for stream, drafts in batches:
        if left >= len(drafts):
            left -= len(drafts)
            continue
        yield stream, drafts[left:]
        left = 0


def _batched(items: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


# --- files and the raw baseline -----------------------------------------------------------


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_db(source: Path, target: Path) -> None:
    """A checkpointed database file copied (no WAL to carry)."""
    remove_db(target)
    shutil.copyfile(source, target)


# per-connection settings a Ledger may tune; the baseline copies whatever the ledger has
PRAGMAS = ("synchronous", "cache_size", "cache_spill", "mmap_size", "temp_store",
           "wal_autocheckpoint", "journal_size_limit", "busy_timeout", "foreign_keys",
           "recursive_triggers", "automatic_index")


def ledger_pragmas(ledger: Ledger) -> dict[str, Any]:
    return {name: ledger.conn.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS}


def baseline_connection(path: Path) -> sqlite3.Connection:
    """Raw sqlite3 on the ledger's own schema (table, indexes, triggers: created by opening a
    Ledger there) with the ledger's own pragmas (WAL, synchronous=FULL, ...), autocommit."""
    ledger = Ledger(path)
    pragmas = ledger_pragmas(ledger)
    ledger.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for name, value in pragmas.items():
        conn.execute(f"PRAGMA {name} = {int(value)}")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    return conn


def copy_events(conn: sqlite3.Connection, source: Path, *, after: int, upto: int) -> int:
    """Copy the events at positions ``after`` < P <= ``upto`` of the ledger file ``source``
    onto the ledger open on ``conn``, exactly as stored (one ``INSERT ... SELECT``, one
    transaction): the rows are the ones the ledger wrote, so the hash chain continues."""
    conn.execute("ATTACH DATABASE ? AS source", (str(source),))
    try:
        conn.execute("BEGIN IMMEDIATE")
        cursor = conn.execute(
            f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM source.events "
            "WHERE position > ? AND position <= ? ORDER BY position", (after, upto))
        conn.execute("COMMIT")
    finally:
        conn.execute("DETACH DATABASE source")
    return cursor.rowcount


def checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def disk_bytes(path: Path) -> int:
    """The database file plus its WAL, as they are now."""
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())


def prefill(path: Path, batches: Sequence[Batch]) -> None:
    """A checkpointed ledger file holding ``batches``, written by raw inserts."""
    conn = baseline_connection(path)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT, rows(batches))
    conn.execute("COMMIT")
    checkpoint(conn)
    conn.close()


def event_count(batches: Iterable[Batch]) -> int:
    return sum(1 for _ in flatten(batches))


def machine() -> dict[str, Any]:
    """What a reader of the numbers needs to know about where they were taken."""
    import platform

    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by nearest rank (of 20 samples, the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


# --- the registry ---------------------------------------------------------------------------

Measure = Callable[[Context], list[Result]]
MEASURES: dict[str, Measure] = {}


def measure(group: str) -> Callable[[Measure], Measure]:
    """Register a measure under ``group`` (the name ``--only`` takes)."""

    def register(fn: Measure) -> Measure:
        MEASURES[group] = fn
        return fn

    return register


__all__ = ["COLUMNS", "INSERT", "MEASURES", "PRAGMAS", "Context", "Result", "Timing",
           "baseline_connection", "checkpoint", "copy_db", "copy_events", "disk_bytes",
           "event_count", "ledger_pragmas", "machine", "matchledger", "measure", "median", "p95",
           "peak_rss_mb", "prefill", "remove_db"]

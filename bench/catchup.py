"""Catch-up: the read models brought up to date after 1,000 new events.

The ledger is ``full_ledger()`` without its last ``(WARM + COLD) * step`` events, with every
read model and snapshot built by ``Projector.rebuild`` (not timed here: the rebuild row times
it). The held-back events are then appended ``step`` (1,000 at a million events) at a time —
the very rows of ``full_ledger()``, copied as stored: how they arrive is not what is measured —
and after each step the read models are caught up, timed, two ways:

- **long-lived projector** (the first ``WARM`` steps): the ``Projector`` that did the rebuild
  keeps its fold state in memory, as ``follow`` does, and ``projector.catch_up()`` folds the
  new events and rewrites the rows they touched;
- **fresh projector** (the next ``COLD`` steps): ``projections.catch_up(ledger)``, a new
  ``Projector``, as in a new process (same process here: imports and page cache are warm),
  that must first get the fold state at the checkpoint (the nearest snapshot, then the events
  after it) before it folds the new events and writes.

The target is on the median step (< 20 ms); a step that crosses a multiple of
``snapshot_every`` also writes a snapshot, which the maximum shows. The baseline, with no
target, is the least a catch-up must do: a raw ``SELECT`` of the same new rows and
``json.loads`` of their data and meta.

The ledger this leaves behind holds every event, read models current, snapshots written the
way a live ledger gets them: ``projected(ctx)`` shares it with the time-travel and disk rows.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import attrs

from bench.harness import (
    Context,
    Result,
    baseline_connection,
    copy_events,
    measure,
    median,
    p95,
)
from matchledger.ledger import Ledger
from matchledger.projections import Projector, catch_up

WARM = 5  # steps caught up by the long-lived projector
COLD = 3  # steps caught up by a new one (each takes seconds while snapshots are far apart)
TARGET_MS = 20.0


@attrs.frozen(kw_only=True)
class Projected:
    """The whole generated ledger with its read models caught up, and how catching up went."""

    path: Path
    step: int
    rebuilt_at: int  # the position the rebuild reached, before the held-back steps
    rebuild_s: float
    warm_ms: list[float]
    cold_ms: list[float]
    raw_ms: list[float]  # the baseline, once per step, in step order


def step_size(events: int) -> int:
    """1,000 events per step from 40,000 events up, a 40th of the ledger below that."""
    return min(1_000, max(10, events // 40))


def projected(ctx: Context) -> Projected:
    """The projected ledger of this run, built (and the catch-up steps timed) once."""
    return ctx.once("projected", lambda: _build(ctx))


def _build(ctx: Context) -> Projected:
    step = step_size(ctx.events)
    held = (WARM + COLD) * step
    start = ctx.events - held
    source = ctx.full_ledger()
    path = ctx.path("projected.db")
    ctx.log(f"catch-up: {start:,} events with read models rebuilt, then {WARM + COLD} steps "
            f"of {step:,} new events")
    feed = baseline_connection(path)
    copy_events(feed, source, after=0, upto=start)
    ledger = Ledger(path)
    projector = Projector(ledger)
    began = time.perf_counter()
    rebuilt_at = projector.rebuild()
    rebuild_s = time.perf_counter() - began
    warm: list[float] = []
    cold: list[float] = []
    raw: list[float] = []
    position = start
    for n in range(WARM + COLD):
        copy_events(feed, source, after=position, upto=position + step)
        if n < WARM:
            began = time.perf_counter()
            reached = projector.catch_up()
            warm.append(1000 * (time.perf_counter() - began))
        else:
            began = time.perf_counter()
            reached = catch_up(ledger)
            cold.append(1000 * (time.perf_counter() - began))
        if reached != position + step:
            raise AssertionError(f"catch-up reached {reached}, not {position + step}")
        raw.append(1000 * raw_read(path, after=position, upto=position + step))
        position += step
    feed.close()
    ledger.close()
    return Projected(path=path, step=step, rebuilt_at=rebuilt_at, rebuild_s=rebuild_s,
                     warm_ms=warm, cold_ms=cold, raw_ms=raw)


def raw_read(path: Path, *, after: int, upto: int) -> float:
    """Seconds to select the rows after a position and parse their JSON (a new connection,
    as a catch-up in a new process would open)."""
    began = time.perf_counter()
    conn = sqlite3.connect(path)
    loads = json.loads
    for data, meta in conn.execute("SELECT data, meta FROM events WHERE position > ? AND "
                                   "position <= ? ORDER BY position", (after, upto)):
        loads(data)
        if meta is not None:
            loads(meta)
    conn.close()
    return time.perf_counter() - began


@measure("catchup")
def catchup_rows(ctx: Context) -> list[Result]:
    built = projected(ctx)
    label = f"sqlite3 SELECT + json.loads of the {built.step:,} new rows (no target)"
    rows = []
    for name, runs, raw in (
            ("long-lived Projector", built.warm_ms, built.raw_ms[:WARM]),
            ("projections.catch_up (fresh Projector)", built.cold_ms, built.raw_ms[WARM:])):
        rows.append(Result(
            measure=f"catch-up after {built.step:,} new events, {name}", unit="ms",
            ours=median(runs), baseline=median(raw), baseline_label=label, limit=TARGET_MS,
            lower_is_better=True,
            notes={"steps": len(runs), "step_events": built.step, "onto": built.rebuilt_at,
                   "ours": {"runs_ms": _rounded(runs), "max_ms": round(max(runs), 1),
                            "p95_ms": round(p95(runs), 1)},
                   "baseline": {"runs_ms": _rounded(raw)},
                   "note": f"median of {len(runs)} steps (max {max(runs):,.0f} ms) onto "
                           f"{built.rebuilt_at:,} events rebuilt in {built.rebuild_s:,.1f} s"}))
    return rows


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 2) for v in values]


__all__ = ["COLD", "WARM", "Projected", "catchup_rows", "projected", "raw_read", "step_size"]

"""Time travel: a cup's bracket, and one team's streaks, as of a random moment.

On the projected ledger (``bench.catchup.projected``: every event, read models and snapshots
as a live ledger has them), ``MOMENTS`` moments T are drawn uniformly (seeded) between the
first and the last ``occurred_at``. For each T a cup is picked among those of the latest
season drawn by T (a competition with ties at T; a T before the first cup draw is drawn
again), and a team among the cup's entrants. Then, timed:

- **ours**: ``state_at(ledger, as_of=T, competition=cup)`` — the cup's parts of the nearest
  usable snapshot, then the events of its streams after it that occurred by T — then
  ``bracket(state, cup)``; and ``streaks(state_at(ledger, as_of=T, team=team), team)``;
  a query's time is its ``state_at`` plus its view.
- **baseline**: the same views of ``fold_all(read_filtered(ledger, as_of=T))``, a full replay
  from position 0 with the filter ``state_at`` applies (one replay serves both views, each
  on its own copy). A replay of a million events takes
  seconds, so only the first ``REPLAYS`` moments are replayed; the replay's speed on them
  (events folded per second, view included) gives an estimate for every moment from the
  number of events it folds, and the baseline is the median of those estimates (measured
  moments as measured). The rows' notes keep the measured replays apart from the estimates,
  and check the replay and ``state_at`` give the same bracket and streaks.

Sampling stops early (after ``MIN_MOMENTS``) once ours has spent ``BUDGET_S`` seconds, so the
run stays within its ten minutes while the queries are slow; the note says how many were
taken.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import random
import time
from collections.abc import Callable
from typing import Any

import attrs

from bench.catchup import projected
from bench.harness import Context, Result, measure, median, p95
from matchledger.ledger import Ledger, from_micros
from matchledger.projections import State, bracket, fold_all, read_filtered, state_at, streaks

MOMENTS = 20
MIN_MOMENTS = 8
REPLAYS = 3
BUDGET_S = 60.0
SEASON_GAP = dt.timedelta(days=60)  # cups drawn within this of the latest draw: one season
BRACKET_TARGET, BRACKET_LIMIT_MS, STREAKS_TARGET = 100.0, 50.0, 100.0


@attrs.frozen(kw_only=True)
class Moment:
    as_of: dt.datetime
    competition: str
    team: str
    events: int  # events that occurred by ``as_of``: what a full replay folds


@attrs.define(kw_only=True)
class Timed:
    """Milliseconds of one moment: each view's state, then the view."""

    bracket_state: float
    bracket: float
    streaks_state: float
    streaks: float
    answers: tuple[Any, Any] = attrs.field(eq=False, repr=False)

    def total(self, view: str) -> float:
        return float(getattr(self, f"{view}_state") + getattr(self, view))


def moments(ledger: Ledger, count: int, seed: int) -> list[Moment]:
    """``count`` seeded random moments, each with a cup that has ties then and a team in it."""
    conn = ledger.conn
    occurred = sorted(r[0] for r in conn.execute("SELECT occurred_at FROM events"))
    draws = conn.execute("SELECT stream, min(occurred_at) FROM events WHERE type = 'TieDrawn' "
                         "GROUP BY stream ORDER BY 2").fetchall()
    if not draws:
        raise LookupError("the ledger has no cup draws")
    rng = random.Random(f"{seed}:timetravel")
    gap = int(SEASON_GAP.total_seconds() * 1_000_000)
    picked: list[Moment] = []
    while len(picked) < count:
        at = rng.randint(occurred[0], occurred[-1])
        drawn = [(stream, first) for stream, first in draws if first <= at]
        if not drawn:
            continue  # before the first draw: no cup has ties yet
        latest = drawn[-1][1]
        stream = rng.choice([s for s, first in drawn if first >= latest - gap])
        teams = [r[0] for r in conn.execute(
            "SELECT json_extract(data, '$.team') FROM events WHERE stream = ? "
            "AND type = 'TeamRegistered' AND occurred_at <= ? ORDER BY position", (stream, at))]
        picked.append(Moment(as_of=from_micros(at), competition=stream.split(":", 1)[1],
                             team=rng.choice(teams), events=bisect.bisect_right(occurred, at)))
    return picked


def _timed(make: Callable[[], State], moment: Moment,
           make_for_streaks: Callable[[], State] | None = None) -> Timed:
    """Time the bracket on ``make()``, then the streaks on ``make_for_streaks()`` or, if
    none is given, on a copy of the same state, charged the same time to make."""
    began = time.perf_counter()
    state = make()
    made = time.perf_counter()
    tree = bracket(state, moment.competition)
    viewed = time.perf_counter()
    # a state of its own: no index or memos inherited from the bracket
    other = state.copy() if make_for_streaks is None else make_for_streaks()
    made_other = time.perf_counter()
    runs = streaks(other, moment.team)
    done = time.perf_counter()
    state_ms = 1000 * (made - began)
    return Timed(bracket_state=state_ms, bracket=1000 * (viewed - made),
                 streaks_state=1000 * (made_other - viewed) if make_for_streaks else state_ms,
                 streaks=1000 * (done - made_other), answers=(tree, runs))


def _replay(ledger: Ledger, as_of: dt.datetime) -> State:
    """The baseline: a full replay from position 0, filtered as ``state_at`` filters."""
    return fold_all(read_filtered(ledger, as_of=as_of))


@measure("timetravel")
def timetravel_rows(ctx: Context) -> list[Result]:
    path = projected(ctx).path
    ledger = Ledger(path)
    try:
        return _rows(ctx, ledger)
    finally:
        ledger.close()


def _rows(ctx: Context, ledger: Ledger) -> list[Result]:
    drawn = moments(ledger, MOMENTS, ctx.seed)
    ctx.log(f"time travel: bracket and streaks as of up to {MOMENTS} random moments "
            f"(budget {BUDGET_S:.0f} s), full replays of {REPLAYS}")
    state_at(ledger, as_of=drawn[0].as_of)  # warm the page cache and the imports
    ours: list[Timed] = []
    began = time.perf_counter()
    for moment in drawn:
        ours.append(_timed(
            functools.partial(state_at, ledger, as_of=moment.as_of,
                              competition=moment.competition),
            moment, functools.partial(state_at, ledger, as_of=moment.as_of, team=moment.team)))
        spent = time.perf_counter() - began
        if len(ours) >= MIN_MOMENTS and spent > BUDGET_S:
            break
    taken = drawn[:len(ours)]
    replays: list[Timed] = []
    for moment in taken[:REPLAYS]:
        replays.append(_timed(functools.partial(_replay, ledger, moment.as_of), moment))
    same = all(r.answers == o.answers for r, o in zip(replays, ours, strict=False))
    return [_row("bracket", "bracket of a cup as of a random moment (state_at + bracket)",
                 taken, ours, replays, same, target=BRACKET_TARGET, limit=BRACKET_LIMIT_MS),
            _row("streaks", "streaks of one team as of a random moment (state_at + streaks)",
                 taken, ours, replays, same, target=STREAKS_TARGET, limit=None)]


def _row(view: str, title: str, taken: list[Moment], ours: list[Timed], replays: list[Timed],
         same: bool, *, target: float, limit: float | None) -> Result:
    mine = [t.total(view) for t in ours]
    measured = [t.total(view) for t in replays]
    # ms per event folded by the replays measured, views included
    per_event = sum(measured) / sum(m.events for m in taken[:len(replays)])
    estimates = measured + [m.events * per_event for m in taken[len(replays):]]
    ratios = [b / o for b, o in zip(measured, mine, strict=False)]
    note = (f"median of {len(mine)} moments (p95 {p95(mine):,.0f} ms; state_at alone median "
            f"{median([getattr(t, f'{view}_state') for t in ours]):,.1f} ms, the view {view} "
            f"{median([getattr(t, view) for t in ours]):,.1f} ms); baseline: {len(replays)} "
            f"full replays measured ({', '.join(f'{b / 1000:,.1f} s' for b in measured)}, "
            f"{1 / per_event:,.0f} events/ms), the other {len(taken) - len(replays)} moments "
            f"estimated from the events they fold; ratio on the measured moments alone: "
            f"{', '.join(f'{r:,.0f}x' for r in ratios)}"
            + ("" if same else "; WARNING: the replay and state_at disagree"))
    return Result(
        measure=title, unit="ms", ours=median(mine), baseline=median(estimates),
        baseline_label="full replay from position 0: fold_all(read_filtered(ledger, as_of=T)) "
                       f"+ {view}, median over the same moments (partly estimated, see note)",
        target=target, limit=limit, lower_is_better=True,
        checks=(("same as replay", same),),
        notes={"moments": len(mine), "replays": len(replays), "same_answer": same,
               "ours": {"median_ms": round(median(mine), 2), "p95_ms": round(p95(mine), 2),
                        "runs_ms": [round(v, 2) for v in mine],
                        "state_at_ms": [round(getattr(t, f"{view}_state"), 2) for t in ours]},
               "baseline": {"measured_ms": [round(v, 1) for v in measured],
                            "estimated_ms": [round(v, 1) for v in estimates],
                            "events_per_ms": round(1 / per_event, 1)},
               "as_of": [{"as_of": m.as_of.isoformat(), "competition": m.competition,
                          "team": m.team, "events": m.events} for m in taken],
               "note": note})


__all__ = ["MOMENTS", "Moment", "moments", "timetravel_rows"]

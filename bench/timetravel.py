"""Time travel: a cup's bracket, and one team's streaks, as of a random moment.

On the projected ledger (``bench.catchup.projected``: every event, read models and snapshots
as a live ledger has them), ``MOMENTS`` moments T are drawn uniformly (seeded) between the
first and the last ``occurred_at``. For each T a cup is picked among those of the latest
season drawn by T (a competition with ties at T; a T before the first cup draw is drawn
again), and a team among the cup's entrants. Then, timed at every moment:

- **ours**: ``state_at(ledger, as_of=T, competition=cup)`` — the cup's parts of the nearest
  usable snapshot, then the events of its streams after it that occurred by T — then
  ``bracket(state, cup)``; and ``streaks(state_at(ledger, as_of=T, team=team), team)``;
  a query's time is its ``state_at`` plus its view.
- **baseline**: the same view of a replay scoped in SQL, with no snapshot: for the bracket,
  the cup's stream and the streams of the matches it scheduled (``read(competition=cup)``);
  for the streaks, the streams of the competitions the team was registered in and of the
  matches scheduled with it, looked up in SQL first; in both, the events that occurred by T
  and the retractions of those streams (exempt from ``as_of``, as ``state_at`` has them),
  folded from nothing. The rows check both give the same bracket and streaks.

Sampling stops early (after ``MIN_MOMENTS``) once the two sides have spent ``BUDGET_S``
seconds, so the run stays within its minutes; the note says how many were taken.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import heapq
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from bench.catchup import projected
from bench.harness import Context, Result, measure, median, p95
from matchledger.ledger import Envelope, Ledger, from_micros
from matchledger.projections import State, bracket, fold_all, state_at, streaks

MOMENTS = 20
MIN_MOMENTS = 8
BUDGET_S = 120.0
SEASON_GAP = dt.timedelta(days=60)  # cups drawn within this of the latest draw: one season
# at least the speed of the scoped replay: a snapshot must pay for itself; and a bound
BRACKET_TARGET, BRACKET_LIMIT_MS, STREAKS_TARGET = 1.0, 50.0, 1.0


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


def _merged(*parts: Iterable[Envelope]) -> Iterator[Envelope]:
    """Envelopes of several reads in position order, each once."""
    last = 0
    for env in heapq.merge(*parts, key=lambda e: e.position):
        if env.position != last:
            last = env.position
            yield env


def _cup_replay(ledger: Ledger, moment: Moment) -> State:
    """The baseline of the bracket: the cup's streams, scoped in SQL, folded from nothing."""
    return fold_all(_merged(
        ledger.read(competition=moment.competition, as_of=moment.as_of),
        ledger.read(competition=moment.competition, types=("EventRetracted",))))


# the partial indexes on registrations and fixtures serve both halves
TEAM_STREAMS = (
    "SELECT stream FROM events WHERE type IN ('TeamRegistered', 'PlayerRegistered') "
    "AND type = 'TeamRegistered' AND json_extract(data, '$.team') = ?1 "
    "UNION SELECT 'match:' || json_extract(data, '$.match') FROM events "
    "WHERE type = 'FixtureScheduled' "
    "AND ?1 IN (json_extract(data, '$.home'), json_extract(data, '$.away'))")


def _team_replay(ledger: Ledger, moment: Moment) -> State:
    """The baseline of the streaks: the team's competitions' and matches' streams, looked up
    in SQL, folded from nothing."""
    streams = [s for (s,) in ledger.conn.execute(TEAM_STREAMS, (moment.team,))]
    return fold_all(_merged(ledger.read(streams=streams, as_of=moment.as_of),
                            ledger.read(streams=streams, types=("EventRetracted",))))


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
            f"(budget {BUDGET_S:.0f} s), against a replay scoped in SQL at each")
    state_at(ledger, as_of=drawn[0].as_of)  # warm the page cache and the imports
    ours: list[Timed] = []
    replays: list[Timed] = []
    began = time.perf_counter()
    for n, moment in enumerate(drawn):
        mine = functools.partial(_timed, functools.partial(
            state_at, ledger, as_of=moment.as_of, competition=moment.competition), moment,
            functools.partial(state_at, ledger, as_of=moment.as_of, team=moment.team))
        theirs = functools.partial(_timed, functools.partial(_cup_replay, ledger, moment),
                                   moment, functools.partial(_team_replay, ledger, moment))
        sides = [(ours, mine), (replays, theirs)]
        for timings, run in sides if n % 2 == 0 else sides[::-1]:  # alternating the first
            timings.append(run())
        spent = time.perf_counter() - began
        if len(ours) >= MIN_MOMENTS and spent > BUDGET_S:
            break
    taken = drawn[:len(ours)]
    same = [r.answers == o.answers for r, o in zip(replays, ours, strict=True)]
    return [_row("bracket", "bracket of a cup as of a random moment (state_at + bracket)",
                 taken, ours, replays, same, target=BRACKET_TARGET, limit=BRACKET_LIMIT_MS),
            _row("streaks", "streaks of one team as of a random moment (state_at + streaks)",
                 taken, ours, replays, same, target=STREAKS_TARGET, limit=None)]


def _row(view: str, title: str, taken: list[Moment], ours: list[Timed], replays: list[Timed],
         same: list[bool], *, target: float, limit: float | None) -> Result:
    mine = [t.total(view) for t in ours]
    theirs = [t.total(view) for t in replays]
    ratios = sorted(b / o for b, o in zip(theirs, mine, strict=True))
    scope = "the cup's" if view == "bracket" else "the team's competitions' and matches'"
    note = (f"median of {len(mine)} moments, each side measured at each (ours p95 "
            f"{p95(mine):,.0f} ms; state_at alone median "
            f"{median([getattr(t, f'{view}_state') for t in ours]):,.1f} ms, the view {view} "
            f"{median([getattr(t, view) for t in ours]):,.1f} ms; replay p95 "
            f"{p95(theirs):,.0f} ms); ratio per moment from {ratios[0]:,.2f}x to "
            f"{ratios[-1]:,.2f}x"
            + ("" if all(same) else f"; WARNING: the replay and state_at disagree at "
               f"{same.count(False)} moments"))
    return Result(
        measure=title, unit="ms", ours=median(mine), baseline=median(theirs),
        baseline_label=f"replay of {scope} streams, scoped in SQL, no snapshot, + {view}",
        target=target, limit=limit, lower_is_better=True,
        checks=(("same as replay", all(same)),),
        compares=(f"ours: state_at(as_of=T, {'competition' if view == 'bracket' else 'team'}"
                  "=...): the scope's parts of the nearest usable snapshot, the scope's "
                  f"events after it, then {view}(); the baseline reads {scope} streams "
                  "(events that occurred by T, and their retractions) in SQL from position "
                  f"0 and folds them, then {view}(): it skips the snapshot and the rest of "
                  "the log, as ours does"),
        notes={"moments": len(mine), "same_answer": all(same),
               "ours": {"median_ms": round(median(mine), 2), "p95_ms": round(p95(mine), 2),
                        "runs_ms": [round(v, 2) for v in mine],
                        "state_at_ms": [round(getattr(t, f"{view}_state"), 2) for t in ours]},
               "baseline": {"median_ms": round(median(theirs), 2),
                            "runs_ms": [round(v, 2) for v in theirs]},
               "as_of": [{"as_of": m.as_of.isoformat(), "competition": m.competition,
                          "team": m.team, "events": m.events} for m in taken],
               "note": note})


__all__ = ["MOMENTS", "Moment", "moments", "timetravel_rows"]

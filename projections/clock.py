"""A scoreboard with its live clock: the minute from the period's start whistle and the moment
asked (now, or ``as_of``), by ``events.clock``'s rule.

The fold keeps no times (a match's state is its facts), so the start whistle is read from the
match's own stream, under the same filters as the view.

    >>> import datetime as dt, os, tempfile
    >>> from importlib import resources
    >>> from matchledger.ledger import Ledger, import_file
    >>> from matchledger.projections import scoreboard, state_at
    >>> ledger = Ledger(os.path.join(tempfile.mkdtemp(), "doc.db"))
    >>> _ = import_file(ledger, str(resources.files("matchledger.events") / "seed.jsonl"))
    >>> half_an_hour_in = dt.datetime(2024, 4, 18, 19, 31, tzinfo=dt.timezone.utc)
    >>> state = state_at(ledger, as_of=half_an_hour_in)
    >>> board = with_clock(ledger, scoreboard(state, "uel24-qf4-leg2"), as_of=half_an_hour_in)
    >>> board.clock, board.minute
    ("31'", 31)
    >>> ledger.close()
"""

from __future__ import annotations

import datetime as dt

import attrs

from matchledger.events import EventRetracted, PeriodStarted
from matchledger.events.clock import match_clock
from matchledger.events.match import Booking
from matchledger.projections.logreader import LogReader
from matchledger.projections.scoreboard import GoalLine, Scoreboard


def with_clock(ledger: LogReader, board: Scoreboard, *, moment: dt.datetime | None = None,
               as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
               at_position: int | None = None) -> Scoreboard:
    """``board`` with its clock (``clock``, and ``minute`` from it) at ``moment`` (default:
    ``as_of``, else now), if it is live; the filters are those ``board`` was made under."""
    if board.status != "live":
        return board
    moment = moment or as_of or dt.datetime.now(dt.UTC)
    started = None
    if board.period is not None:
        started = _period_start(ledger, board, as_of=as_of, known_at=known_at,
                                at_position=at_position)
    facts: list[GoalLine | Booking] = [*board.goals, *board.cards]
    reached = max(((f.minute, f.added or 0) for f in facts
                   if f.period is board.period and f.minute is not None), default=None)
    clock = match_clock(board.period, started, moment, ended=board.periods_ended,
                        reached=reached)
    if clock is None:
        return board
    return attrs.evolve(board, clock=clock.text,
                        minute=clock.minute if clock.minute is not None else board.minute)


def _period_start(ledger: LogReader, board: Scoreboard, *, as_of: dt.datetime | None,
                  known_at: dt.datetime | None, at_position: int | None) -> dt.datetime | None:
    """When the standing start whistle of the board's period blew (read by the rule of time
    travel, ``ledger.eventstore.in_time``, as everywhere)."""
    started: dict[str, dt.datetime] = {}
    retracted: set[str] = set()
    for env in ledger.read(stream=f"match:{board.match}", as_of=as_of, known_at=known_at,
                           at_position=at_position,
                           types=("PeriodStarted", "EventRetracted")):
        event = env.event
        if isinstance(event, EventRetracted):
            retracted.add(event.event)
        elif isinstance(event, PeriodStarted) and event.period is board.period:
            started[env.event_id] = env.occurred_at
    standing = [when for event_id, when in started.items() if event_id not in retracted]
    return standing[-1] if standing else None

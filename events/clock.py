"""The match clock: the minute a match shows, from its period's start whistle and the moment.

A football rule, like the rest of ``events``: each period runs from its first regular minute
(1, 46, 91, 106), minute N of a half ending N minutes after its whistle (as an event's
``occurred_at`` is its kick-off plus its minute), and stoppage time counts on from the last
regular minute (45+2, not 47); between periods the clock shows the break, and a shoot-out has
no minute.

    >>> import datetime as dt
    >>> whistle = dt.datetime(2024, 4, 18, 21, 0, tzinfo=dt.UTC)
    >>> match_clock(Period.FIRST_HALF, whistle, whistle + dt.timedelta(minutes=22, seconds=5),
    ...             ended=()).text
    "23'"
    >>> match_clock(Period.FIRST_HALF, whistle, whistle + dt.timedelta(minutes=47), ended=()).text
    "45+2'"
    >>> match_clock(None, None, whistle, ended=(Period.FIRST_HALF,)).text
    'HT'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import attrs

from matchledger.events.catalogue import Period, TieRules

PERIOD_ORDER = (
    Period.FIRST_HALF,
    Period.SECOND_HALF,
    Period.EXTRA_FIRST,
    Period.EXTRA_SECOND,
    Period.SHOOTOUT,
)
# regular minutes of each period; stoppage time is minute=<last> with ``added``
PERIOD_MINUTES = {
    Period.FIRST_HALF: (1, 45),
    Period.SECOND_HALF: (46, 90),
    Period.EXTRA_FIRST: (91, 105),
    Period.EXTRA_SECOND: (106, 120),
}


def next_period(ended: int, rules: TieRules) -> Period | None:
    """The period that starts once ``ended`` periods have: the next in order, but penalties
    straight after 90 minutes where the rules have no extra time; None after the shoot-out."""
    if ended == 2 and not rules.extra_time:
        return Period.SHOOTOUT
    return PERIOD_ORDER[ended] if ended < len(PERIOD_ORDER) else None


def period_of_minute(minute: int) -> Period | None:
    """The period a minute belongs to (45+2 is still the first half); None past 120."""
    return _PERIOD_OF[minute] if 0 < minute < len(_PERIOD_OF) else None


_PERIOD_OF = (None, *(period for period, (first, last) in PERIOD_MINUTES.items()
                      for _ in range(first, last + 1)))


def minute_of(minute: int | None, added: int | None) -> str:
    """A match minute as written: ``45+2'``; ``?'`` when not known."""
    if minute is None:
        return "?'"
    return f"{minute}+{added}'" if added else f"{minute}'"


EXTRA_TIME = (Period.EXTRA_FIRST, Period.EXTRA_SECOND)
MOST_ADDED = 30  # more stoppage time than any period has had: past it, "45+'"
# what the clock shows after each period, until the next one starts
BREAKS = {
    Period.FIRST_HALF: "HT",
    Period.SECOND_HALF: "90'",
    Period.EXTRA_FIRST: "ET HT",
    Period.EXTRA_SECOND: "AET",
    Period.SHOOTOUT: "pens",
}


@attrs.frozen(kw_only=True)
class Clock:
    """What the clock shows: ``text`` (``23'``, ``45+2'``, ``HT``, ``ET 104'``, ``pens``), and
    the minute and added time it stands for (None in a break or a shoot-out)."""

    text: str
    minute: int | None = None
    added: int | None = None


def match_clock(period: Period | None, started: dt.datetime | None, moment: dt.datetime, *,
                ended: Sequence[Period], reached: tuple[int, int] | None = None
                ) -> Clock | None:
    """The clock of a live match at ``moment``: ``period`` is the period under way (None
    between periods), ``started`` its start whistle, ``ended`` the periods over, in order;
    ``reached`` the latest (minute, added) recorded in it, which the clock never shows less
    than (a whistle typed late). None before kick-off."""
    if period is Period.SHOOTOUT:
        return Clock(text="pens")
    if period is None or started is None:
        if not ended:
            return None
        bounds = PERIOD_MINUTES.get(ended[-1])  # the minute the break follows
        return Clock(text=BREAKS[ended[-1]], minute=bounds[1] if bounds else None)
    first, last = PERIOD_MINUTES[period]
    elapsed = (moment - started).total_seconds() / 60  # minute N ends N minutes in
    played = first - 1 + max(1, math.ceil(elapsed))
    shown = (min(played, last), max(0, played - last))
    if reached is not None and reached > shown:
        shown = reached
    minute, added = shown
    prefix = "ET " if period in EXTRA_TIME else ""
    if added > MOST_ADDED:  # the whistle is overdue (or not typed): the clock cannot tell
        return Clock(text=f"{prefix}{minute}+'", minute=minute)
    text = f"{prefix}{minute}+{added}'" if added else f"{prefix}{minute}'"
    return Clock(text=text, minute=minute, added=added or None)

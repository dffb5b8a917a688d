"""Hypothesis strategies for the event catalogue."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from matchledger.events import (
    Card,
    CardShown,
    CompetitionCreated,
    CompetitionFormat,
    Event,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    KickOutcome,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    PlayerRegistered,
    ShootoutKick,
    Side,
    SubstitutionMade,
    TeamRegistered,
    TieDrawn,
    TieRules,
)

ids = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
names = st.text(min_size=1, max_size=20)
maybe_names = st.none() | names
minutes = st.none() | st.integers(1, 120)
offsets = st.integers(-12, 14).map(lambda h: dt.timezone(dt.timedelta(hours=h)))
kickoffs = st.builds(
    lambda day, minute, tz: dt.datetime.combine(day, dt.time(12), tz)
    + dt.timedelta(minutes=minute),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 1, 1)), st.integers(0, 600), offsets)
sides = st.one_of(st.builds(Side, team=ids), st.builds(Side, winner_of=ids))

events: st.SearchStrategy[Event] = st.one_of(
    st.builds(CompetitionCreated, competition=ids, name=names, season=names,
              format=st.sampled_from(CompetitionFormat),
              rules=st.builds(TieRules, extra_time=st.booleans(), away_goals=st.booleans(),
                              away_goals_in_extra_time=st.booleans(), penalties=st.booleans(),
                              points_for_win=st.integers(2, 3))),
    st.builds(TeamRegistered, team=ids, name=names, country=st.none() | names,
              aliases=st.lists(names, max_size=3).map(tuple)),
    st.builds(PlayerRegistered, team=ids, name=names,
              aliases=st.lists(names, max_size=3).map(tuple)),
    st.builds(TieDrawn, round=names, tie=ids, sides=st.tuples(sides, sides),
              legs=st.integers(1, 2)),
    st.builds(FixtureScheduled, match=ids, date=st.dates(), kickoff=st.none() | kickoffs,
              home=st.none() | ids, away=st.none() | ids, tie=st.none() | ids,
              leg=st.none() | st.integers(1, 2), round=maybe_names, venue=maybe_names),
    st.just(MatchStarted()),
    st.builds(PeriodStarted, period=st.sampled_from(Period)),
    st.builds(PeriodEnded, period=st.sampled_from(Period)),
    st.builds(GoalScored, team=ids, player=maybe_names, minute=minutes,
              added=st.none() | st.integers(0, 15), kind=st.sampled_from(GoalKind)),
    st.builds(GoalDisallowed, goal=ids, reason=maybe_names),
    st.builds(CardShown, team=ids, player=names, card=st.sampled_from(Card), minute=minutes),
    st.builds(ShootoutKick, team=ids, outcome=st.sampled_from(KickOutcome), taker=maybe_names),
    st.builds(SubstitutionMade, team=ids, player_off=names, player_on=names, minute=minutes,
              added=st.none() | st.integers(0, 15)),
    st.just(MatchEnded()),
    st.builds(MatchAbandoned, reason=maybe_names, minute=minutes),
    st.builds(EventRetracted, event=ids, reason=names),
)


def _moved(text: str, i: int, j: int) -> str:
    """``text`` with its character at ``i`` moved to ``j``."""
    rest = text[:i] + text[i + 1:]
    return rest[:j] + text[i] + rest[j:]


# event ids as the ledger makes them (canonical UUIDs) and as anyone may send them, some of
# them a canonical UUID but for one dash out of place
event_ids = st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()),
                      st.uuids().map(lambda u: u.hex), st.text(max_size=40),
                      st.builds(lambda u, dash, to: _moved(str(u), dash, to), st.uuids(),
                                st.sampled_from([8, 13, 18, 23]), st.integers(0, 35)))

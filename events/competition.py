"""The facts of the competition streams, folded by one rule for the judge and the views.

A competition stream records facts: the competition, its teams and their players, the ties
drawn and the fixtures. ``fold_fact`` files each under its key (``fact_key``); the latest fact
at a key stands, except a team's, whose registrations merge (``events.team.merged``).

A competition fact is never retracted: it changes by being recorded again (a fixture scheduled
again, a team registered again). The judge refuses a retraction of one (``FACTS_STAND`` says
why), and a fold of a log that holds one anyway, written around the judge, leaves the fact
standing.

    >>> facts = CompetitionFacts()
    >>> fold_fact(facts, FixtureScheduled(match="f1", date=dt.date(2024, 5, 22)), "uel", 7)
    ('fixture', 'f1')
    >>> again = FixtureScheduled(match="f1", date=dt.date(2024, 5, 22), home="ata", away="lev")
    >>> fold_fact(facts, again, "uel", 9)
    ('fixture', 'f1')
    >>> facts.fixtures["f1"].home, facts.fixtures["f1"].competition
    ('ata', 'uel')
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from matchledger.events.catalogue import (
    CompetitionCreated,
    CompetitionFormat,
    Event,
    FixtureScheduled,
    PlayerRegistered,
    Side,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.match import intern_name
from matchledger.events.team import Team, merged

UTC = dt.UTC

FACTS_STAND = ("competition events cannot be retracted: schedule a fixture again (or register "
               "again) to change it")

Key = tuple[str, ...]  # ("fixture", match), ("tie", competition, tie), ...


@attrs.frozen(kw_only=True)
class Competition:
    id: str
    name: str
    season: str
    format: CompetitionFormat = CompetitionFormat.KNOCKOUT
    rules: TieRules = TieRules()


@attrs.frozen(kw_only=True)
class Player:
    team: str
    name: str
    aliases: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Tie:
    """A tie as drawn; ``sides[0]`` is at home first. ``drawn_at`` is the draw's position."""

    competition: str
    tie: str
    round: str
    sides: tuple[Side, Side]
    legs: int = 2
    drawn_at: int = 0


@attrs.frozen(kw_only=True, weakref_slot=False)
class Fixture:
    """The latest scheduling of a match, with the competition whose stream scheduled it."""

    competition: str
    match: str
    date: dt.date
    kickoff: dt.datetime | None = None
    home: str | None = None
    away: str | None = None
    tie: str | None = None
    leg: int | None = None
    round: str | None = None
    venue: str | None = None
    neutral: bool = False  # at neither side's ground: the home side is only named first

    @property
    def sort_key(self) -> tuple[dt.datetime, str]:
        """Kick-off order: the kick-off in UTC, else midnight UTC of the date; then the id."""
        if self.kickoff is not None and self.kickoff.tzinfo is not None:
            return self.kickoff.astimezone(UTC), self.match
        moment = self.kickoff or dt.datetime.combine(self.date, dt.time())
        return moment.replace(tzinfo=UTC), self.match

    def scheduled(self) -> FixtureScheduled:
        """The event that schedules this fixture (again)."""
        return FixtureScheduled(match=self.match, date=self.date, kickoff=self.kickoff,
                                home=self.home, away=self.away, tie=self.tie, leg=self.leg,
                                round=self.round, venue=self.venue, neutral=self.neutral)


@attrs.define(kw_only=True)
class CompetitionFacts:
    """The competition facts folded so far, by key; mutable, owned by whoever folds them."""

    competitions: dict[str, Competition] = attrs.Factory(dict)
    teams: dict[str, Team] = attrs.Factory(dict)
    players: dict[tuple[str, str], Player] = attrs.Factory(dict)
    ties: dict[tuple[str, str], Tie] = attrs.Factory(dict)  # (competition, tie) -> the tie
    fixtures: dict[str, Fixture] = attrs.Factory(dict)

    def copy_facts(self) -> CompetitionFacts:
        """An independent copy to fold on; shallow, since every fact is immutable."""
        return CompetitionFacts(competitions=dict(self.competitions), teams=dict(self.teams),
                                players=dict(self.players), ties=dict(self.ties),
                                fixtures=dict(self.fixtures))


# the table of the facts (and of a whole fold's state) each kind of key is filed in
FACT_TABLES = {"competition": "competitions", "team": "teams", "player": "players",
               "tie": "ties", "fixture": "fixtures"}


def fact_key(event: Event, competition: str) -> Key | None:
    """The key ``event``, recorded in ``competition``'s stream, is filed under; None for
    what is not a competition fact (a retraction included: see the module docstring)."""
    kind = type(event)
    if kind is FixtureScheduled:
        return ("fixture", event.match)  # type: ignore[attr-defined]
    if kind is TieDrawn:
        return ("tie", competition, event.tie)  # type: ignore[attr-defined]
    if kind is TeamRegistered:
        return ("team", event.team)  # type: ignore[attr-defined]
    if kind is PlayerRegistered:
        return ("player", event.team, event.name)  # type: ignore[attr-defined]
    if kind is CompetitionCreated:
        return ("competition", event.competition)  # type: ignore[attr-defined]
    return None


def fact_of(event: Event, competition: str, position: int = 0) -> tuple[Key, Any] | None:
    """(key, fact) of a competition event recorded in ``competition``'s stream at
    ``position``; None for any other event."""
    key = fact_key(event, competition)
    return None if key is None else (key, _FACTS[type(event)](event, competition, position))


def fold_fact(facts: CompetitionFacts, event: Event, competition: str, position: int = 0
              ) -> Key | None:
    """Fold ``event`` into ``facts`` (in place); the key it changed, None if none."""
    found = fact_of(event, competition, position)
    if found is None:
        return None
    key, fact = found
    add(facts, key, fact)
    return key


def add(facts: CompetitionFacts, key: Key, fact: Any) -> None:
    """Record ``fact`` at ``key``: it stands, or merges with the team registered before."""
    table: dict[Any, Any] = getattr(facts, FACT_TABLES[key[0]])
    name = key[1] if len(key) == 2 else key[1:]
    table[name] = standing(table.get(name), fact)


def standing(earlier: Any, fact: Any) -> Any:
    """The fact that stands once ``fact`` follows ``earlier`` (None: the first) at a key."""
    return merged(earlier, fact) if type(fact) is Team else fact


def settled(facts: Iterable[Any]) -> Any:
    """The fact that stands after every one of ``facts``, recorded at one key in order."""
    return functools.reduce(standing, facts, None)


def standing_legs(fixtures: Iterable[Fixture], abandoned: Callable[[str], bool]
                  ) -> list[Fixture]:
    """The fixtures of one tie that stand, in the order given: an abandoned match gives way
    to another scheduled as the same leg (its replay); abandoned alone, it stays its leg."""
    found = list(fixtures)
    if len(found) < 2:  # the common case, a leg scheduled once: nothing gives way
        return found
    per_leg = Counter(f.leg or 1 for f in found)
    return [f for f in found if per_leg[f.leg or 1] == 1 or not abandoned(f.match)]


def _competition_created(event: CompetitionCreated, competition: str, position: int
                         ) -> Competition:
    return Competition(id=event.competition, name=event.name, season=event.season,
                       format=event.format, rules=event.rules)


def _team_registered(event: TeamRegistered, competition: str, position: int) -> Team:
    return Team(id=event.team, name=event.name, country=event.country, aliases=event.aliases,
                competitions=(competition,))


def _player_registered(event: PlayerRegistered, competition: str, position: int) -> Player:
    return Player(team=event.team, name=event.name, aliases=event.aliases)


def _tie_drawn(event: TieDrawn, competition: str, position: int) -> Tie:
    return Tie(competition=competition, tie=event.tie, round=event.round, sides=event.sides,
               legs=event.legs, drawn_at=position)


def _fixture_scheduled(event: FixtureScheduled, competition: str, position: int) -> Fixture:
    return Fixture(competition=intern_name(competition), match=event.match, date=event.date,
                   kickoff=event.kickoff, home=intern_name(event.home),
                   away=intern_name(event.away), tie=event.tie, leg=event.leg,
                   round=intern_name(event.round), venue=intern_name(event.venue),
                   neutral=event.neutral)


# the fact each kind of competition event records (``fact_key`` files it), by exact type
_FACTS: dict[type[Event], Callable[[Any, str, int], Any]] = {
    CompetitionCreated: _competition_created, TeamRegistered: _team_registered,
    PlayerRegistered: _player_registered, TieDrawn: _tie_drawn,
    FixtureScheduled: _fixture_scheduled}


__all__ = [
    "FACT_TABLES",
    "FACTS_STAND",
    "Competition",
    "CompetitionFacts",
    "Fixture",
    "Key",
    "Player",
    "Tie",
    "add",
    "fact_key",
    "fact_of",
    "fold_fact",
    "settled",
    "standing",
    "standing_legs",
]

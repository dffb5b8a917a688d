"""Team and player names as sources spell them, resolved to one canonical id.

"Bayer 04 Leverkusen", "Bayer Leverkusen (GER)" and "Leverkusen" are one team: every input
path resolves names through here, so a team is never duplicated. Matching is on a normalised
form (case, accents, punctuation, a country suffix in brackets) of the id, name and aliases.

    >>> reg = Registry()
    >>> reg = reg.register_team("leverkusen", "Bayer 04 Leverkusen", ("Leverkusen",))
    >>> reg.resolve_team("Bayer 04 Leverkusen (GER)")
    'leverkusen'
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import attrs

from matchledger.events import Event, PlayerRegistered, TeamRegistered
from matchledger.events.names import normalise as normalise  # where it is imported from
from matchledger.events.roster import NAMING, Roster, players_named
from matchledger.events.team import Team, registered
from matchledger.ledger.errors import RuleBroken, UnknownTeam

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@attrs.frozen(kw_only=True)
class Registry:
    """Teams by id, and every normalised spelling of a team or a player."""

    teams: Mapping[str, Team] = MappingProxyType({})
    team_names: Mapping[str, str] = MappingProxyType({})  # normalised -> team id
    players: Mapping[tuple[str, str], str] = MappingProxyType({})  # (team, normalised) -> name
    # (competition, team) -> each player registered there -> the aliases registered with it
    rosters: Mapping[tuple[str, str], Mapping[str, tuple[str, ...]]] = MappingProxyType({})
    # the Roster of each (competition, team) asked for, built once: every event naming a
    # player asks; ``writable``'s copy drops the entries its registrations change
    _built: dict[tuple[str, str], Roster] = attrs.field(factory=dict, init=False, eq=False,
                                                          repr=False)

    def register_team(
        self, team: str, name: str, aliases: Iterable[str] = (), country: str | None = None
    ) -> Registry:
        return self.registered([TeamRegistered(team=team, name=name, aliases=tuple(aliases),
                                               country=country)])

    def registered(self, events: Iterable[Event], competitions: Iterable[str] = ()
                   ) -> Registry:
        """This registry with every TeamRegistered / PlayerRegistered of ``events`` applied
        (in the ``competitions`` that registered each, when given).

        The tables are copied once for the lot, so loading a big ledger's registry is linear.
        """
        copy, add = self.writable()
        for event, competition in itertools.zip_longest(events, competitions):
            add(event, competition)
        return copy

    def writable(self) -> tuple[Registry, Callable[[Event, str | None], None]]:
        """A copy of this registry, and a function that registers an event in that copy in
        place: a transaction registering many teams copies the tables once, not per team.
        (An error may leave the copy half-changed: it is then thrown away with its
        transaction.)"""
        teams, names, players = dict(self.teams), dict(self.team_names), dict(self.players)
        rosters = dict(self.rosters)
        copied: set[tuple[str, str]] = set()  # the rosters this copy owns, changed in place
        copy = Registry(teams=MappingProxyType(teams), team_names=MappingProxyType(names),
                        players=MappingProxyType(players), rosters=MappingProxyType(rosters))
        built = copy._built
        built.update(self._built)

        def add(event: Event, competition: str | None = None) -> None:
            if isinstance(event, TeamRegistered):
                _add_team(teams, names, event, competition)
                for key in [k for k in built if k[1] == event.team]:  # its name may change
                    del built[key]
            elif isinstance(event, PlayerRegistered):
                if event.team not in teams:
                    raise UnknownTeam(f"unknown team {event.team!r}{copy._suggest(event.team)}")
                _add_player(players, event)
                if competition is not None:
                    _add_to_roster(rosters, copied, (competition, event.team), event)
                    built.pop((competition, event.team), None)

        return copy, add

    def resolve_team(self, name: str) -> str:
        """The id of the team called ``name`` (an id, name or alias, in any spelling)."""
        if name in self.teams:
            return name
        found = self.team_names.get(normalise(name))
        if found is None:
            raise UnknownTeam(f"unknown team {name!r}{self._suggest(name)}")
        return found

    def resolve_player(self, team: str, name: str) -> str:
        """The registered spelling of a player ("Scamaca" -> "Gianluca Scamacca"), else ``name``."""
        return self.players.get((team, normalise(name)), name)

    def roster(self, competition: str, team: str) -> Roster | None:
        """The players ``team`` (an id) registered in ``competition``; None if it has none
        there (the rule of ``events.roster`` then leaves its names alone)."""
        key = (competition, team)
        roster = self._built.get(key)
        if roster is not None:
            return roster
        players = self.rosters.get(key)
        if not players:
            return None
        roster = self._built[key] = Roster.of(
            self.teams[team].name if team in self.teams else team, players.items())
        return roster

    def newcomers(self, competition: str, event: Event) -> list[PlayerRegistered]:
        """The registrations that put on its team's roster in ``competition`` each player
        the match ``event`` names who is not on it (as the registry spells him, if it knows
        him from elsewhere): what ``--new-player`` appends with the event."""
        named = players_named(event)
        if not named or not isinstance(event, NAMING):
            return []
        team = self.resolve_team(event.team)
        roster = self.roster(competition, team)
        spelt = dict.fromkeys(self.resolve_player(team, name) for name in named.values())
        return [PlayerRegistered(team=team, name=name) for name in spelt
                if roster is None or roster.find(name) is None]

    def rosters_in(self, competition: str) -> dict[str, Roster]:
        """Every team's roster in ``competition``, by team id."""
        return {team: roster for (comp, team) in self.rosters if comp == competition
                and (roster := self.roster(comp, team)) is not None}

    def _suggest(self, name: str) -> str:
        spellings = {normalise(t.name): t.name for t in self.teams.values()}
        spellings.update({normalise(a): a for t in self.teams.values() for a in t.aliases})
        wanted = normalise(name)
        close = difflib.get_close_matches(wanted, list(spellings), n=3, cutoff=0.5)
        if not close and wanted:  # a word of a longer name: "Bayer" of "Bayer 04 Leverkusen"
            close = sorted(s for s in spellings if wanted in s.split())[:3]
        if not close:
            known = sorted(self.teams)
            listed = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8
                                             else "")
            return f"; known teams: {listed or 'none registered'}"
        return "; did you mean " + ", ".join(repr(spellings[c]) for c in close) + "?"


def registry_json(reg: Registry) -> str:
    """``reg`` as JSON text, which ``registry_from_json`` gives back unchanged. A roster is an
    object of names, so that a new process reads a squad of every season without a call per
    player."""
    rosters: dict[str, dict[str, dict[str, list[str]]]] = {}
    for (competition, team), players in reg.rosters.items():
        rosters.setdefault(competition, {})[team] = {
            name: list(aliases) for name, aliases in players.items()}
    return json.dumps({
        "teams": [[t.id, t.name, t.country, list(t.aliases), list(t.competitions)]
                  for t in reg.teams.values()],
        "names": list(reg.team_names.items()),
        "players": [[team, spelling, name] for (team, spelling), name in reg.players.items()],
        "rosters": rosters,
    }, ensure_ascii=False, separators=(",", ":"))


def registry_from_json(text: str) -> Registry:
    """The registry ``registry_json`` wrote; ValueError if the text is not such JSON (a cache
    that does not check out, or one stored before rosters were, or in another layout, is not
    used)."""
    try:
        data = json.loads(text)
        teams = {}
        for ident, name, country, aliases, competitions in data["teams"]:
            teams[_text(ident)] = Team(
                id=_text(ident), name=_text(name),
                country=None if country is None else _text(country),
                aliases=tuple(map(_text, aliases)), competitions=tuple(map(_text, competitions)))
        names = {_text(k): _text(v) for k, v in data["names"]}
        players = {(_text(team), _text(spelling)): _text(name)
                   for team, spelling, name in data["players"]}
        rosters = {(competition, team): _roster(roster)
                   for competition, squads in data["rosters"].items()
                   for team, roster in squads.items()}
    except (TypeError, KeyError, AttributeError, RecursionError) as e:  # (nested too deep)
        raise ValueError(f"not a stored registry: {e}") from e
    if not set(names.values()) <= teams.keys():
        raise ValueError("not a stored registry: a name of no team")
    if not {team for _, team in rosters} <= teams.keys():
        raise ValueError("not a stored registry: a roster of no team")
    return Registry(teams=MappingProxyType(teams), team_names=MappingProxyType(names),
                    players=MappingProxyType(players), rosters=MappingProxyType(rosters))


def _roster(players: dict[str, list[str]]) -> Mapping[str, tuple[str, ...]]:
    """A stored roster: JSON keys are text already, and most players have no other spelling.
    Never empty (a roster is made by registering a player; an empty one would let the team
    name anyone)."""
    if not players:
        raise TypeError("an empty roster")
    for aliases in players.values():
        if type(aliases) is not list or (aliases and any(type(a) is not str for a in aliases)):
            raise TypeError("a roster's spellings are not a list of text")
    return MappingProxyType({name: tuple(aliases) if aliases else () for name, aliases in
                             players.items()})


def _text(value: object) -> str:
    if type(value) is not str:
        raise TypeError(f"expected text, not {type(value).__name__}")
    return value


def _add_team(teams: dict[str, Team], names: dict[str, str], event: TeamRegistered,
              competition: str | None) -> None:
    team = event.team
    if not SLUG.match(team):
        raise RuleBroken(f"team id {team!r} must be lower-case letters, digits and dashes")
    new = registered(teams.get(team), event, competition)
    for spelling in (team, new.name, *new.aliases):
        owner = names.setdefault(need_letters(spelling), team)
        if owner != team:
            raise RuleBroken(f"name {spelling!r} already belongs to team {owner!r}")
    teams[team] = new


def _add_player(players: dict[tuple[str, str], str], event: PlayerRegistered) -> None:
    for spelling in (event.name, *event.aliases):
        owner = players.setdefault((event.team, need_letters(spelling)), event.name)
        if owner != event.name:
            raise RuleBroken(f"name {spelling!r} already belongs to player {owner!r}")


def _add_to_roster(rosters: dict[tuple[str, str], Mapping[str, tuple[str, ...]]],
                   copied: set[tuple[str, str]], key: tuple[str, str],
                   event: PlayerRegistered) -> None:
    """Put ``event``'s player on the roster ``key`` names, copying it the first time."""
    if key not in copied:
        rosters[key] = dict(rosters.get(key, {}))
        copied.add(key)
    roster = rosters[key]
    assert isinstance(roster, dict)
    known = roster.get(event.name, ())
    roster[event.name] = (tuple(dict.fromkeys((*known, *event.aliases)))
                          if known or event.aliases else ())  # most players: no aliases


def need_letters(name: str, what: str = "name") -> str:
    """``normalise(name)``; a name that normalises to nothing would be every such name at
    once: refused."""
    normal = normalise(name)
    if not normal:
        raise RuleBroken(f"{what} {name!r} has no letters or digits")
    return normal

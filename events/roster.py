"""A team's roster in a competition, and the rule that a player named for the team is on it.

A team with no player registered in a competition may name anyone there (results imported
without line-ups); once it has a roster, each name given for it must be one of its players,
in any spelling registered (case and accents aside). A name that is not is refused with the
closest names of the roster, or, when it is another team's player, naming that team.

    >>> atalanta = Roster.of("Atalanta", [("Ademola Lookman", ()), ("Gianluca Scamacca",
    ...                                   ("Scamaca",))])
    >>> marseille = Roster.of("Marseille", [("Chancel Mbemba", ("Mbemba",))])
    >>> on_roster("scamaca", atalanta, [marseille])
    'Gianluca Scamacca'
    >>> on_roster("Lookmann", atalanta, [marseille])
    Traceback (most recent call last):
    ...
    events.rules.RuleViolation: no player 'Lookmann' in Atalanta's roster: did you mean \
'Ademola Lookman'? (register a new one with --new-player)
    >>> on_roster("Mbemba", atalanta, [marseille])
    Traceback (most recent call last):
    ...
    events.rules.RuleViolation: 'Mbemba' is Marseille's Chancel Mbemba, not a player of Atalanta
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from matchledger.events.catalogue import (
    CardShown,
    Event,
    GoalScored,
    ShootoutKick,
    SubstitutionMade,
)
from matchledger.events.names import normalise
from matchledger.events.rules import RuleViolation

CLOSE = 0.6  # difflib ratio from which a registered name is offered for one mistyped
SUGGESTED = 3  # names offered at most
# the match events that name players of their ``team``, and the fields that do
NAMING = (GoalScored, CardShown, ShootoutKick, SubstitutionMade)
PLAYER_FIELDS: Mapping[type[Event], tuple[str, ...]] = MappingProxyType({
    GoalScored: ("player",), CardShown: ("player",), ShootoutKick: ("taker",),
    SubstitutionMade: ("player_off", "player_on")})


def players_named(event: Event) -> dict[str, str]:
    """The players a match event names for its team, by field (those left unnamed out)."""
    return {f: name for f in PLAYER_FIELDS.get(type(event), ()) if (name := getattr(event, f))}


@attrs.frozen(kw_only=True)
class Roster:
    """A team's players in one competition: each registered spelling, in ``normalise`` form,
    to the name the ledger keeps; ``team`` is the team's name, for messages."""

    team: str
    spellings: Mapping[str, str] = MappingProxyType({})

    @classmethod
    def of(cls, team: str, players: Iterable[tuple[str, Iterable[str]]]) -> Roster:
        """The roster of ``team`` from (name, aliases) of each player."""
        spellings: dict[str, str] = {}
        for name, aliases in players:
            for spelling in (name, *aliases):
                spellings.setdefault(normalise(spelling), name)
        return cls(team=team, spellings=MappingProxyType(spellings))

    def find(self, name: str) -> str | None:
        """The registered name ``name`` spells, if any."""
        return self.spellings.get(normalise(name))

    def known_as(self, name: str) -> str | None:
        """The registered name ``name`` spells, or the one player a word of whose name it is
        ("Dybala" is Paulo Dybala), if any: to say whose player a name off a roster is."""
        found = self.find(name)
        if found is not None:
            return found
        wanted = normalise(name)
        players = {p for s, p in self.spellings.items() if wanted and wanted in s.split()}
        return players.pop() if len(players) == 1 else None

    def closest(self, name: str) -> list[str]:
        """The registered names most like ``name``, best first: the whole name, or any one
        word of it, spelled nearly alike ("Lookmann" is close to "Ademola Lookman")."""
        wanted = normalise(name)

        def likeness(spelling: str) -> float:
            return max(difflib.SequenceMatcher(None, wanted, part).ratio()
                       for part in (spelling, *spelling.split()))

        ranked = sorted(((likeness(s), p) for s, p in self.spellings.items()),
                        key=lambda found: -found[0])
        return list(dict.fromkeys(p for score, p in ranked if score >= CLOSE))[:SUGGESTED]


def on_roster(name: str, own: Roster, others: Iterable[Roster] = ()) -> str:
    """The registered name of ``name`` in ``own``, the roster of the team it is given for;
    RuleViolation if it is not there: naming the team of ``others`` (the opponent first) that
    has the player, else offering ``own``'s closest names."""
    found = own.find(name)
    if found is not None:
        return found
    for other in others:
        theirs = other.known_as(name)
        if theirs is None:
            continue
        if normalise(theirs) == normalise(name):
            raise RuleViolation(f"{name!r} is a player of {other.team}, not of {own.team}")
        raise RuleViolation(f"{name!r} is {other.team}'s {theirs}, not a player of {own.team}")
    close = own.closest(name)
    offer = (f"did you mean {', '.join(repr(c) for c in close)}?" if close else
             f"its players are {_listed(sorted(set(own.spellings.values())))}")
    raise RuleViolation(f"no player {name!r} in {own.team}'s roster: {offer} (register a new "
                        "one with --new-player)")


def _listed(names: list[str], most: int = 6) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


__all__ = ["NAMING", "PLAYER_FIELDS", "Roster", "on_roster", "players_named"]

"""A team as its registrations make it, by one rule for the judge's registry and the views.

A team may be registered again (in another competition, or to rename it): the latest name and
country stand, and every earlier name stays an alias, since the ledger still resolves it.

    >>> lev = registered(None, TeamRegistered(team="lev", name="Leverkusen"), "bl")
    >>> registered(lev, TeamRegistered(team="lev", name="Bayer 04 Leverkusen"), "uel")
    Team(id='lev', name='Bayer 04 Leverkusen', country=None, aliases=('Leverkusen',), \
competitions=('bl', 'uel'))
"""

from __future__ import annotations

import attrs

from matchledger.events.catalogue import TeamRegistered


@attrs.frozen(kw_only=True)
class Team:
    """A team as registered: its latest name and country, every other spelling it is known
    by (earlier names included), and the competitions that registered it."""

    id: str
    name: str
    country: str | None = None
    aliases: tuple[str, ...] = ()
    competitions: tuple[str, ...] = ()


def registered(team: Team | None, event: TeamRegistered, competition: str | None = None
               ) -> Team:
    """``team`` (None: not registered yet) as ``event`` registers it (again), in
    ``competition`` (None: not known)."""
    return merged(team, Team(id=event.team, name=event.name, country=event.country,
                             aliases=event.aliases,
                             competitions=(competition,) if competition else ()))


def merged(team: Team | None, again: Team) -> Team:
    """``team`` registered ``again``: its name and country (else the country it had); as
    aliases, those of both and then the earlier name; the competitions of both."""
    spellings = (*team.aliases, *again.aliases, team.name) if team else again.aliases
    return Team(id=again.id, name=again.name,
                country=again.country or (team.country if team else None),
                aliases=tuple(a for a in dict.fromkeys(spellings) if a != again.name),
                competitions=tuple(dict.fromkeys(
                    (*(team.competitions if team else ()), *again.competitions))))


__all__ = ["Team", "merged", "registered"]

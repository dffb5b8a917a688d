"""Team records, league tables, streaks and player tables: views over finished matches.

Official records count a match decided on penalties as a draw, and shoot-out kicks are never
goals. A second yellow card counts as one red (never a yellow plus a red); the first yellow
still counts as a yellow. Streaks run in kick-off order across all competitions, whatever the
order the matches were recorded in, so a result back-filled a week late lands in its place.

    >>> from matchledger.projections.testing import sample_state
    >>> state = sample_state()
    >>> team_record(state, "atalanta").won, streaks(state, "leverkusen").unbeaten.current.length
    (1, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from matchledger.events import Card, GoalKind
from matchledger.events.match import MatchState
from matchledger.projections.errors import UnknownCompetition, UnknownTeam
from matchledger.projections.scoreboard import result
from matchledger.projections.state import EMPTY_MATCH, State, index, kickoff_order

KINDS = ("unbeaten", "winning", "scoring", "clean_sheet", "losing", "winless")


@attrs.frozen(kw_only=True)
class Outcome:
    """A finished match from one team's side; ``result`` is "W", "D" or "L"."""

    match: str
    competition: str
    goals_for: int
    goals_against: int
    result: str
    yellow: int
    red: int


@attrs.frozen(kw_only=True)
class TeamRecord:
    """Finished matches of a team, in one competition or (``competition`` None) in all."""

    team: str
    competition: str | None
    played: int = 0
    won: int = 0
    drawn: int = 0
    lost: int = 0
    goals_for: int = 0
    goals_against: int = 0
    clean_sheets: int = 0
    yellow: int = 0
    red: int = 0
    points: int = 0

    @property
    def goal_difference(self) -> int:
        return self.goals_for - self.goals_against


@attrs.frozen(kw_only=True)
class Streak:
    """A run of consecutive matches; empty (length 0) when there is none."""

    length: int = 0
    wins: int = 0
    draws: int = 0
    losses: int = 0
    first_match: str | None = None
    last_match: str | None = None


@attrs.frozen(kw_only=True)
class StreakPair:
    """The run still going after the latest match, and the longest ever (the earliest if tied)."""

    current: Streak = Streak()
    longest: Streak = Streak()


@attrs.frozen(kw_only=True)
class Streaks:
    team: str
    unbeaten: StreakPair = StreakPair()
    winning: StreakPair = StreakPair()
    scoring: StreakPair = StreakPair()
    clean_sheet: StreakPair = StreakPair()
    losing: StreakPair = StreakPair()
    winless: StreakPair = StreakPair()


@attrs.frozen(kw_only=True)
class PlayerRecord:
    """A player's goals (penalties included, own goals not), penalties, own goals, cards."""

    team: str
    player: str
    goals: int = 0
    penalties: int = 0
    own_goals: int = 0
    yellow: int = 0
    red: int = 0


# --- outcomes --------------------------------------------------------------------------------


def outcomes(state: State, team: str, competition: str | None = None) -> list[Outcome]:
    """``team``'s finished matches in kick-off order; UnknownTeam if it is nowhere."""
    found = index(state).by_team.get(team)
    if found is None and team not in state.teams:
        raise UnknownTeam(f"unknown team {team!r}")
    matches = [m for m in found or ()
               if competition is None or state.fixtures[m].competition == competition]
    return [o for m in kickoff_order(state, matches)
            if (o := outcome(state, team, m)) is not None]


def outcome(state: State, team: str, match: str) -> Outcome | None:
    """The scheduled ``match`` from ``team``'s side, if it is finished."""
    if state.matches.get(match, EMPTY_MATCH).status != "finished":
        return None
    res = result(state, match)
    if res.status != "finished" or res.home == res.away:
        return None
    gf, ga = res.total if res.home == team else res.total[::-1]
    cards = [b.card for b in state.matches[match].bookings.values() if b.team == team]
    yellow = cards.count(Card.YELLOW)
    return Outcome(match=match, competition=state.fixtures[match].competition, goals_for=gf,
                   goals_against=ga, result="W" if gf > ga else "L" if gf < ga else "D",
                   yellow=yellow, red=len(cards) - yellow)


# --- team records and tables -----------------------------------------------------------------


def team_record(state: State, team: str, competition: str | None = None) -> TeamRecord:
    """``team``'s record in ``competition``, or overall when it is None."""
    if competition is not None and competition not in state.competitions:
        raise UnknownCompetition(f"unknown competition {competition!r}")
    return summarise(state, team, competition, outcomes(state, team, competition))


def summarise(state: State, team: str, competition: str | None,
              played: list[Outcome]) -> TeamRecord:
    """The record of ``played`` (outcomes of ``team``, already filtered to ``competition``)."""
    results = [o.result for o in played]
    points = 0
    for o in played:
        comp = state.competitions.get(o.competition)
        points += {"W": comp.rules.points_for_win if comp else 3, "D": 1}.get(o.result, 0)
    return TeamRecord(
        team=team, competition=competition, played=len(played), won=results.count("W"),
        drawn=results.count("D"), lost=results.count("L"),
        goals_for=sum(o.goals_for for o in played),
        goals_against=sum(o.goals_against for o in played),
        clean_sheets=sum(1 for o in played if o.goals_against == 0),
        yellow=sum(o.yellow for o in played), red=sum(o.red for o in played), points=points)


def competition_teams(state: State, competition: str) -> tuple[str, ...]:
    """Teams registered in ``competition`` or playing one of its fixtures, sorted."""
    teams = {t.id for t in state.teams.values() if competition in t.competitions}
    for match in index(state).by_competition.get(competition, ()):
        fx = state.fixtures[match]
        teams.update(t for t in (fx.home, fx.away) if t)
    return tuple(sorted(teams))


def table(state: State, competition: str, round: str | None = None) -> tuple[TeamRecord, ...]:
    """Every team of ``competition`` by points, goal difference, goals scored, then id.

    ``round`` ("Group A") keeps only the fixtures scheduled in that round, and the teams that
    play them: a group's own table. No fixture in that round gives an empty table.
    """
    if competition not in state.competitions:
        raise UnknownCompetition(f"unknown competition {competition!r}")
    if round is None:
        records = [team_record(state, t, competition)
                   for t in competition_teams(state, competition)]
    else:
        records = _round_table(state, competition, round)
    return tuple(sorted(records, key=lambda r: (-r.points, -r.goal_difference,
                                                -r.goals_for, r.team)))


def _round_table(state: State, competition: str, round: str) -> list[TeamRecord]:
    fixtures = [state.fixtures[m] for m in index(state).by_competition.get(competition, ())
                if state.fixtures[m].round == round]
    teams = sorted({t for fx in fixtures for t in (fx.home, fx.away) if t})
    in_round = {fx.match for fx in fixtures}
    return [summarise(state, t, competition, [o for o in outcomes(state, t, competition)
                                               if o.match in in_round])
            for t in teams]


# --- streaks ---------------------------------------------------------------------------------

_CONTINUES: dict[str, Callable[[Outcome], bool]] = {
    "unbeaten": lambda o: o.result != "L",
    "winning": lambda o: o.result == "W",
    "scoring": lambda o: o.goals_for > 0,
    "clean_sheet": lambda o: o.goals_against == 0,
    "losing": lambda o: o.result == "L",
    "winless": lambda o: o.result != "W",
}


def streaks(state: State, team: str, competition: str | None = None) -> Streaks:
    """Every kind of streak of ``team``, current and longest, across all competitions (or in
    the matches of ``competition`` alone: a league season unbeaten)."""
    return streaks_of(team, outcomes(state, team, competition))


def streaks_of(team: str, played: list[Outcome], since: Streaks | None = None) -> Streaks:
    """The streaks of ``played``: a team's outcomes in kick-off order, after those whose
    streaks are ``since`` when given (so that a new result extends them)."""
    before = since or Streaks(team=team)
    pairs = {kind: _runs(played, keeps, getattr(before, kind))
             for kind, keeps in _CONTINUES.items()}
    return Streaks(team=team, **pairs)


def _runs(played: list[Outcome], keeps: Callable[[Outcome], bool],
          since: StreakPair = StreakPair()) -> StreakPair:
    """The runs of ``played`` that ``keeps`` goes on with, carried on from ``since`` (the runs
    of the outcomes before them): the longest is the earliest of the longest."""
    current, longest = since.current, since.longest
    for o in played:
        if not keeps(o):
            current = _NONE
            continue
        current = Streak(length=current.length + 1, wins=current.wins + (o.result == "W"),
                         draws=current.draws + (o.result == "D"),
                         losses=current.losses + (o.result == "L"),
                         first_match=current.first_match or o.match, last_match=o.match)
        if current.length > longest.length:
            longest = current
    return StreakPair(current=current, longest=longest)


_NONE = Streak()


# --- players ---------------------------------------------------------------------------------


def players(state: State, team: str | None = None, competition: str | None = None
            ) -> tuple[PlayerRecord, ...]:
    """Scorers and booked players (of ``team``, in the matches of ``competition``, or all),
    top scorers first.

    Goals of matches under way count; those of abandoned matches do not.
    """
    if team is None and competition is None:  # every match: no lookups to build
        matches: Iterable[str] = state.matches
    elif team is None:
        if competition not in state.competitions:
            raise UnknownCompetition(f"unknown competition {competition!r}")
        matches = index(state).by_competition.get(competition, ())
    else:
        idx = index(state)
        matches = (idx.by_team.get(team, ()) if competition is None
                   else idx.by_team_competition.get(team, {}).get(competition, ()))
        if team not in idx.by_team and team not in state.teams:
            raise UnknownTeam(f"unknown team {team!r}")
    tally: dict[tuple[str, str], dict[str, int]] = {}
    count_players(state, matches, team, tally)
    rows = [PlayerRecord(team=t, player=p, **counts) for (t, p), counts in tally.items()]
    return tuple(sorted(rows, key=scorer_order))


def scorer_order(record: PlayerRecord) -> tuple[int, int, str, str]:
    """How player tables sort: goals, then penalties, most first; then team and name."""
    return -record.goals, -record.penalties, record.team, record.player


def count_players(state: State, matches: Iterable[str], team: str | None,
                  tally: dict[tuple[str, str], dict[str, int]]) -> None:
    """Add to ``tally`` ((team, player) -> counts) the goals and cards of ``matches`` (of
    ``team``'s players, or all)."""
    for match in matches:
        count_match(state.matches.get(match, EMPTY_MATCH), team, tally)


def count_match(ms: MatchState, team: str | None,
                tally: dict[tuple[str, str], dict[str, int]]) -> None:
    """Add to ``tally`` the goals and cards of one match (of ``team``'s players, or all)."""
    if ms.status == "abandoned":
        return
    for goal in ms.goals.values():
        if not goal.disallowed and goal.player is not None and team in (None, goal.team):
            row = tally.setdefault((goal.team, goal.player), {})
            for field in _GOAL_FIELDS[goal.kind]:
                row[field] = row.get(field, 0) + 1
    for booking in ms.bookings.values():
        if team in (None, booking.team):
            row = tally.setdefault((booking.team, booking.player), {})
            field = "yellow" if booking.card is Card.YELLOW else "red"
            row[field] = row.get(field, 0) + 1


_GOAL_FIELDS = {
    GoalKind.OPEN_PLAY: ("goals",),
    GoalKind.PENALTY: ("goals", "penalties"),
    GoalKind.OWN_GOAL: ("own_goals",),
}

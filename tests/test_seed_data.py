"""The bundled seed (events/seed.jsonl) holds exactly what the five seed articles state.

No database: each line is a draft ({"stream", "type", "data", "occurred_at", "recorded_at",
"event_id", "meta"}) read straight from the package, decoded with the ledger's codec and folded
with the match rules that the ledger applies on append.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import uuid
from importlib import resources
from typing import Any

import pytest

from matchledger.events import (
    CardShown,
    CompetitionCreated,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalScored,
    KickOutcome,
    MatchEnded,
    MatchStarted,
    PlayerRegistered,
    ShootoutKick,
    TeamRegistered,
    TieDrawn,
    schema_version,
)
from matchledger.events.match import MatchState
from matchledger.events.rules import TieContext, check
from matchledger.events.tie import TieLeg
from matchledger.ledger.codec import decode, encode

KEYS = {"stream", "type", "data", "occurred_at", "recorded_at", "event_id", "meta"}
SOURCE = re.compile(r"seeds/\d{3}_[0-9a-f]{16}\.txt")

# (home, away) goals that count, per match, as the articles state them
FINAL_SCORES = {
    "uel24-r16-lev-qar-leg2": (3, 2),  # Leverkusen 3-2 Qarabag (001)
    "uel24-qf1-leg1": (0, 1),  # AC Milan 0-1 Roma (004)
    "uel24-qf2-leg1": (0, 3),  # Liverpool 0-3 Atalanta, Salah's goal disallowed (004)
    "uel24-qf3-leg1": (2, 0),  # Bayer 04 Leverkusen 2-0 West Ham United (004)
    "uel24-qf4-leg1": (2, 1),  # Benfica 2-1 Marseille (004)
    "bl24-lev-svw": (5, 0),  # Leverkusen 5-0 Werder Bremen (002)
    "uel24-qf1-leg2": (2, 1),  # Roma 2-1 AC Milan (002, 003)
    "uel24-qf2-leg2": (0, 1),  # Atalanta 0-1 Liverpool (002, 003)
    "uel24-qf3-leg2": (1, 1),  # West Ham United 1-1 Bayer 04 Leverkusen (002, 003)
    "uel24-qf4-leg2": (1, 0),  # Marseille 1-0 Benfica after extra time (002)
}
# tie: (first-named side, other side, aggregate of first-named side, of other side)
AGGREGATES = {
    "QF1": ("ac-milan", "roma", 1, 3),
    "QF2": ("liverpool", "atalanta", 1, 3),
    "QF3": ("leverkusen", "west-ham", 3, 1),
    "QF4": ("benfica", "marseille", 2, 2),
}


class Line:
    """One line of the seed, decoded."""

    def __init__(self, number: int, raw: dict[str, Any]) -> None:
        self.number, self.raw = number, raw
        self.stream: str = raw["stream"]
        self.kind, _, self.stream_id = self.stream.partition(":")
        self.event_id: str = raw["event_id"]
        self.event = decode(raw["type"], schema_version(raw["type"]), raw["data"])
        self.occurred_at = dt.datetime.fromisoformat(raw["occurred_at"])
        self.recorded_at = dt.datetime.fromisoformat(raw["recorded_at"])


def read_seed() -> list[dict[str, Any]]:
    text = (resources.files("matchledger.events") / "seed.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def raw() -> list[dict[str, Any]]:
    return read_seed()


@pytest.fixture(scope="module")
def seed(raw: list[dict[str, Any]]) -> list[Line]:
    return [Line(n, r) for n, r in enumerate(raw, 1)]


@pytest.fixture(scope="module")
def fixtures(seed: list[Line]) -> dict[str, tuple[str, FixtureScheduled]]:
    """match id -> (competition id, its latest FixtureScheduled)."""
    return {
        line.event.match: (line.stream_id, line.event)
        for line in seed
        if isinstance(line.event, FixtureScheduled)
    }


def matches(seed: list[Line]) -> dict[str, list[Line]]:
    streams: dict[str, list[Line]] = collections.defaultdict(list)
    for line in seed:
        if line.kind == "match":
            streams[line.stream_id].append(line)
    return streams


def counting_goals(lines: list[Line]) -> list[GoalScored]:
    """Goals that stand: neither disallowed nor retracted."""
    undone = {
        getattr(line.event, "goal", None) or getattr(line.event, "event", None)
        for line in lines
        if isinstance(line.event, GoalDisallowed | EventRetracted)
    }
    return [
        line.event
        for line in lines
        if isinstance(line.event, GoalScored) and line.event_id not in undone
    ]


def score(lines: list[Line], home: str, away: str) -> tuple[int, int]:
    teams = [goal.team for goal in counting_goals(lines)]  # no own goals in the seed
    assert set(teams) <= {home, away}
    return teams.count(home), teams.count(away)


# --- the file ------------------------------------------------------------------------------


def test_seed_is_bundled_in_the_events_package() -> None:
    seed_file = resources.files("matchledger.events") / "seed.jsonl"
    assert seed_file.is_file()
    assert len(read_seed()) > 100


def test_every_line_is_a_draft_naming_its_sources(raw: list[dict[str, Any]]) -> None:
    for n, line in enumerate(raw, 1):
        assert set(line) == KEYS, f"line {n}"
        assert line["stream"].partition(":")[0] in ("competition", "match"), f"line {n}"
        sources = line["meta"]["source"].split(", ")
        assert all(SOURCE.fullmatch(s) for s in sources), f"line {n}: {sources}"


def test_every_line_decodes_and_its_data_is_what_the_codec_writes(seed: list[Line]) -> None:
    for line in seed:
        type_name, _, data = encode(line.event)
        as_json = json.loads(json.dumps(data))  # encode() may leave tuples (TieDrawn.sides)
        assert (type_name, as_json) == (line.raw["type"], line.raw["data"]), f"line {line.number}"


def test_event_ids_are_unique_uuids(seed: list[Line]) -> None:
    ids = [line.event_id for line in seed]
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(i)) == i for i in ids)


def test_times_carry_an_offset_and_nothing_is_known_before_it_happened(seed: list[Line]) -> None:
    for line in seed:
        assert line.occurred_at.tzinfo is not None and line.recorded_at.tzinfo is not None
        assert line.occurred_at <= line.recorded_at, f"line {line.number}"


def test_recorded_at_never_goes_back_in_file_order(seed: list[Line]) -> None:
    recorded = [line.recorded_at for line in seed]
    assert recorded == sorted(recorded)


# --- competitions, teams, players -----------------------------------------------------------


def test_each_competition_stream_opens_with_its_creation(seed: list[Line]) -> None:
    first: dict[str, Line] = {}
    for line in seed:
        if line.kind == "competition":
            first.setdefault(line.stream_id, line)
    assert set(first) == {"uel-2023-24", "bundesliga-2023-24"}
    for competition, line in first.items():
        assert isinstance(line.event, CompetitionCreated)
        assert line.event.competition == competition
    uel = first["uel-2023-24"].event
    assert isinstance(uel, CompetitionCreated)
    assert (uel.rules.extra_time, uel.rules.away_goals, uel.rules.penalties) == (True, False, True)


def test_the_draw_pairs_the_quarter_finals_and_the_path_to_dublin(seed: list[Line]) -> None:
    def side(s: Any) -> str:
        return s.team or f"winner {s.winner_of}"

    draw = {
        line.event.tie: (line.event.round, *map(side, line.event.sides), line.event.legs)
        for line in seed
        if isinstance(line.event, TieDrawn)
    }
    assert draw == {
        "QF1": ("QF", "ac-milan", "roma", 2),
        "QF2": ("QF", "liverpool", "atalanta", 2),
        "QF3": ("QF", "leverkusen", "west-ham", 2),
        "QF4": ("QF", "benfica", "marseille", 2),
        "SF1": ("SF", "winner QF4", "winner QF2", 2),
        "SF2": ("SF", "winner QF1", "winner QF3", 2),
        "F": ("F", "winner SF1", "winner SF2", 1),
    }


def test_teams_carry_every_spelling_the_articles_use(seed: list[Line]) -> None:
    aliases: dict[str, set[str]] = collections.defaultdict(set)
    for line in seed:
        if isinstance(line.event, TeamRegistered):
            aliases[line.event.team] |= {line.event.name, *line.event.aliases}
    assert {"Atlanta", "Atalanta"} <= aliases["atalanta"]
    assert {"Bayer Leverkusen", "Bayer 04 Leverkusen", "Leverkusen"} <= aliases["leverkusen"]
    assert {"AS Roma", "Roma"} <= aliases["roma"]
    assert {"AC Milan", "Milan"} <= aliases["ac-milan"]
    assert {"West Ham", "West Ham United"} <= aliases["west-ham"]
    assert {"Marseille", "Olympique Marseille", "Olympique de Marseille"} <= aliases["marseille"]


def test_every_team_in_a_fixture_or_match_event_is_registered_first(
    seed: list[Line], fixtures: dict[str, tuple[str, FixtureScheduled]]
) -> None:
    registered: set[tuple[str, str]] = set()  # (competition, team)
    for line in seed:
        event = line.event
        if isinstance(event, TeamRegistered):
            registered.add((line.stream_id, event.team))
        elif isinstance(event, FixtureScheduled):
            for team in filter(None, (event.home, event.away)):
                assert (line.stream_id, team) in registered, f"line {line.number}: {team}"
        elif isinstance(event, GoalScored | CardShown | ShootoutKick):
            competition, fixture = fixtures[line.stream_id]
            assert (competition, event.team) in registered, f"line {line.number}: {event.team}"
            assert event.team in (fixture.home, fixture.away), f"line {line.number}"


def test_every_named_player_is_registered_for_their_team_first(seed: list[Line]) -> None:
    known: set[tuple[str, str]] = set()  # (team, spelling)
    for line in seed:
        event = line.event
        if isinstance(event, PlayerRegistered):
            known |= {(event.team, name) for name in (event.name, *event.aliases)}
        if isinstance(event, GoalScored | CardShown):
            named = event.player
        elif isinstance(event, ShootoutKick):
            named = event.taker
        else:
            continue
        if named is not None:
            assert (event.team, named) in known, f"line {line.number}: {named}"


def test_scamacca_and_salah_keep_the_spellings_of_the_articles(seed: list[Line]) -> None:
    players = {
        line.event.name: set(line.event.aliases)
        for line in seed
        if isinstance(line.event, PlayerRegistered)
    }
    assert {"Scamaca", "Scamacca"} <= players["Gianluca Scamacca"]
    assert "Mohammed Salah" in players["Mohamed Salah"]


# --- matches -------------------------------------------------------------------------------


def test_each_match_follows_its_fixture_from_kick_off_to_final_whistle(
    seed: list[Line], fixtures: dict[str, tuple[str, FixtureScheduled]]
) -> None:
    scheduled_at = {
        line.event.match: line.number for line in seed if isinstance(line.event, FixtureScheduled)
    }
    streams = matches(seed)
    assert set(streams) == set(FINAL_SCORES)
    for match, lines in streams.items():
        fixture = fixtures[match][1]
        assert scheduled_at[match] < lines[0].number
        assert isinstance(lines[0].event, MatchStarted)
        assert isinstance(lines[-1].event, MatchEnded)
        assert lines[0].occurred_at == fixture.kickoff
        occurred = [line.occurred_at for line in lines]
        assert occurred == sorted(occurred), match


@pytest.mark.parametrize(("match", "expected"), FINAL_SCORES.items())
def test_final_scores_are_those_the_articles_state(
    seed: list[Line],
    fixtures: dict[str, tuple[str, FixtureScheduled]],
    match: str,
    expected: tuple[int, int],
) -> None:
    fixture = fixtures[match][1]
    assert fixture.home and fixture.away
    assert score(matches(seed)[match], fixture.home, fixture.away) == expected


@pytest.mark.parametrize(("tie", "expected"), AGGREGATES.items())
def test_quarter_final_aggregates(
    seed: list[Line], fixtures: dict[str, tuple[str, FixtureScheduled]], tie: str, expected: Any
) -> None:
    first, other, first_goals, other_goals = expected
    totals: collections.Counter[str] = collections.Counter()
    for leg in (1, 2):
        lines = matches(seed)[f"uel24-{tie.lower()}-leg{leg}"]
        totals.update(goal.team for goal in counting_goals(lines))
    assert (totals[first], totals[other]) == (first_goals, other_goals)


def test_the_disallowed_goal_is_salahs_and_it_does_not_count(seed: list[Line]) -> None:
    disallowed = [line for line in seed if isinstance(line.event, GoalDisallowed)]
    assert len(disallowed) == 1
    line = disallowed[0]
    assert isinstance(line.event, GoalDisallowed)
    goals = {g.event_id: g for g in matches(seed)[line.stream_id] if g.number < line.number}
    goal = goals[line.event.goal].event
    assert isinstance(goal, GoalScored)
    assert (goal.team, goal.player, goal.minute) == ("liverpool", "Mohamed Salah", None)


def test_goal_tally_of_named_scorers(seed: list[Line]) -> None:
    tally = collections.Counter(
        goal.player for lines in matches(seed).values() for goal in counting_goals(lines)
    )
    del tally[None]
    assert tally == {
        "Gianluca Mancini": 2,
        "Gianluca Scamacca": 2,
        "Mario Pasalic": 1,
        "Jonas Hofmann": 1,
        "Victor Boniface": 1,
        "Rafa Silva": 1,
        "Angel Di Maria": 1,
        "Paulo Dybala": 1,
        "Matteo Gabbia": 1,
        "Mohamed Salah": 1,
        "Michail Antonio": 1,
        "Jeremie Frimpong": 1,
        "Faris Moumbagna": 1,
    }


def test_the_shoot_out_is_4_2_to_marseille_decided_by_luis_henrique(seed: list[Line]) -> None:
    kicks = [
        line.event
        for line in matches(seed)["uel24-qf4-leg2"]
        if isinstance(line.event, ShootoutKick)
    ]
    assert [k.team for k in kicks] == ["benfica", "marseille"] * 4  # alternating, Benfica first
    scored = collections.Counter(k.team for k in kicks if k.outcome is KickOutcome.SCORED)
    assert scored == {"marseille": 4, "benfica": 2}
    missed = {k.taker for k in kicks if k.outcome is not KickOutcome.SCORED}
    assert missed == {"Angel Di Maria", "Antonio Silva"}
    assert kicks[-1].taker == "Luis Henrique" and kicks[-1].outcome is KickOutcome.SCORED
    other_shootouts = [
        line
        for line in seed
        if isinstance(line.event, ShootoutKick) and line.stream_id != "uel24-qf4-leg2"
    ]
    assert other_shootouts == []


def test_every_match_replays_through_the_rules_the_ledger_enforces(
    seed: list[Line], fixtures: dict[str, tuple[str, FixtureScheduled]]
) -> None:
    rules = {
        line.event.competition: line.event.rules
        for line in seed
        if isinstance(line.event, CompetitionCreated)
    }
    legs = {line.event.tie: line.event.legs for line in seed if isinstance(line.event, TieDrawn)}
    states: dict[str, MatchState] = {}
    for line in seed:
        if line.kind != "match":
            continue
        competition, fixture = fixtures[line.stream_id]
        state = states.get(line.stream_id) or MatchState(home=fixture.home, away=fixture.away)
        ctx = TieContext(rules=rules[competition])
        if fixture.tie is not None:
            earlier: tuple[TieLeg, ...] = ()
            if fixture.leg == 2:
                first = states[f"uel24-{fixture.tie.lower()}-leg1"]
                earlier = (TieLeg(home_side=1, played=first.played()),)  # the other's ground
            ctx = TieContext(
                rules=rules[competition],
                deciding=fixture.leg == legs[fixture.tie],
                earlier=earlier,
            )
        check(state, line.event, ctx)  # raises RuleViolation
        states[line.stream_id] = state.apply(line.event, event_id=line.event_id)
    assert all(state.status == "finished" for state in states.values())
    assert states["uel24-qf1-leg2"].sent_off == {("roma", "Zeki Celik")}
    assert states["uel24-qf4-leg2"].shootout_score() == (4, 2)

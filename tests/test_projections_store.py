"""Read models in a real SQLite ledger: rebuild, catch-up, follow, snapshots, time travel.

The seed (events/seed.jsonl) is the Europa League 2023/24 quarter-finals as five articles tell
them; ``extend`` adds what a demanding log holds too: semi-finals rescheduled with their teams
and played (an own goal, a second yellow, a penalty), a retraction, a disallowed goal, a league
result back-filled days late by a source, and a match still under way.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matchledger.projections.state
from bench.generate import generate
from matchledger.events import (
    Card,
    CardShown,
    CompetitionCreated,
    Event,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    PlayerRegistered,
    ResultReported,
    TeamRegistered,
)
from matchledger.ledger import Draft, Envelope, Ledger, StreamRun, import_file
from matchledger.projections import (
    CheckpointMoved,
    PlayerRecord,
    Projector,
    State,
    UnknownCompetition,
    bracket,
    current,
    fold_all,
    nearest_snapshot,
    players,
    query,
    registered_teams,
    scoreboard,
    snapshots,
    state_at,
    streaks,
    table,
    tie,
    to_json,
)
from matchledger.projections import book as book_module
from matchledger.projections import projector as projector_module
from matchledger.projections import readmodels as readmodels_module
from matchledger.projections import snapshot as snapshot_module
from matchledger.projections.book import Book, Piece
from matchledger.projections.codec import decode_part, decode_piece, encode_part, encode_piece
from matchledger.projections.readmodels import dirty_of, ensure_tables
from matchledger.projections.records import competition_teams, outcomes
from matchledger.projections.state import NEVER, PRIOR_LIMIT, all_keys, fold, index
from matchledger.projections.testing import MemoryLog
from matchledger.projections.timetravel import advance

from conftest import at, drafts, setup_tie

UTC = dt.UTC
CEST = dt.timezone(dt.timedelta(hours=2))
UEFA = "uel-2023-24"
APRIL_12 = dt.datetime(2024, 4, 12, tzinfo=UTC)
APRIL_19 = dt.datetime(2024, 4, 19, tzinfo=UTC)
BEFORE_SECOND_LEGS_RECORDED = dt.datetime(2024, 4, 18, 12, 0, tzinfo=UTC)
LATER = dt.datetime(2024, 4, 25, 12, 0, tzinfo=UTC)  # when ``extend`` records its events


def seed_path() -> Path:
    return Path(str(resources.files("matchledger.events") / "seed.jsonl"))


def seeded(path: Path, lines: list[str] | None = None) -> Ledger:
    """A ledger holding the seed (or the given seed lines, in their order)."""
    lg = Ledger(path)
    if lines is None:
        import_file(lg, str(seed_path()))
    else:
        reordered = path.with_suffix(".jsonl")
        reordered.write_text("".join(lines))
        import_file(lg, str(reordered))
    return lg


class Clock:
    """Recording times that only go forward, and never before what they record."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def tick(self, occurred: dt.datetime) -> dt.datetime:
        self.now = max(self.now + dt.timedelta(minutes=1), occurred)
        return self.now


def append(lg: Ledger, clock: Clock, stream: str, kickoff: dt.datetime,
           *steps: tuple[int, Event]) -> list[Envelope]:
    moments = [kickoff + dt.timedelta(minutes=m) for m, _ in steps]
    return lg.append(stream, [Draft(event=e, occurred_at=t, recorded_at=clock.tick(t))
                              for (_, e), t in zip(steps, moments, strict=True)])


def event_ids(lg: Ledger, match: str, player: str) -> list[str]:
    return [e.event_id for e in lg.read(stream=f"match:{match}", types=["GoalScored"])
            if getattr(e.event, "player", None) == player]


def extend(lg: Ledger) -> None:
    clock = Clock(LATER)
    comp = f"competition:{UEFA}"
    sf1 = dt.datetime(2024, 5, 2, 21, 0, tzinfo=CEST)
    sf2 = dt.datetime(2024, 5, 2, 18, 45, tzinfo=CEST)
    for match, kickoff, home, away, number in (("uel24-sf1-leg1", sf1, "marseille", "atalanta",
                                                "SF1"),
                                               ("uel24-sf2-leg1", sf2, "roma", "leverkusen",
                                                "SF2")):
        append(lg, clock, comp, LATER, (0, FixtureScheduled(
            match=match, date=kickoff.date(), kickoff=kickoff, home=home, away=away,
            tie=number, leg=1, round="SF")))
    append(lg, clock, comp, LATER, *((0, PlayerRegistered(team=team, name=name)) for team, name in (
        ("marseille", "Chancel Mbemba"), ("marseille", "Pierre-Emerick Aubameyang"),
        ("atalanta", "Ederson"))))  # the semi-final's names, on their teams' rosters
    for home in ("marseille", "atalanta"):  # the final's teams guessed, then changed
        append(lg, clock, comp, LATER, (0, FixtureScheduled(
            match="uel24-final", date=dt.date(2024, 5, 22), tie="F", leg=1, round="F",
            venue="Dublin", home=home, away="roma")))
    append(lg, clock, "match:uel24-sf1-leg1", sf1,
           (0, MatchStarted()), (0, PeriodStarted(period=Period.FIRST_HALF)),
           (10, GoalScored(team="marseille", player="Chancel Mbemba", minute=10,
                           kind=GoalKind.OWN_GOAL)),
           (20, CardShown(team="atalanta", player="Ederson", card=Card.YELLOW, minute=20)),
           (40, CardShown(team="atalanta", player="Ederson", card=Card.SECOND_YELLOW,
                          minute=40)),
           (47, PeriodEnded(period=Period.FIRST_HALF)),
           (60, PeriodStarted(period=Period.SECOND_HALF)),
           (75, GoalScored(team="marseille", player="Pierre-Emerick Aubameyang", minute=60,
                           kind=GoalKind.PENALTY)),
           (110, PeriodEnded(period=Period.SECOND_HALF)), (110, MatchEnded()))
    gabbia = event_ids(lg, "uel24-qf1-leg2", "Matteo Gabbia")[0]
    append(lg, clock, "match:uel24-qf1-leg2", LATER,
           (0, EventRetracted(event=gabbia, reason="typed into the wrong match")))
    frimpong = event_ids(lg, "uel24-qf3-leg2", "Jeremie Frimpong")[0]
    append(lg, clock, "match:uel24-qf3-leg2", LATER,
           (0, GoalDisallowed(goal=frimpong, reason="VAR: offside")))
    bremen = dt.datetime(2024, 4, 6, 15, 30, tzinfo=CEST)  # played before the quarter-finals
    append(lg, clock, "competition:bundesliga-2023-24", LATER, (0, FixtureScheduled(
        match="bl24-svw-lev", date=bremen.date(), kickoff=bremen, home="werder-bremen",
        away="leverkusen")))
    append(lg, clock, "match:bl24-svw-lev", bremen,
           (110, ResultReported(full_time=(1, 1), half_time=(0, 1), source="a table")))
    append(lg, clock, "match:uel24-sf2-leg1", sf2,
           (0, MatchStarted()), (0, PeriodStarted(period=Period.FIRST_HALF)),
           (12, GoalScored(team="leverkusen", player="Jeremie Frimpong", minute=12)))


RM_SKIPPED = {"rm_snapshot", "rm_snapshot_part", "rm_snapshot_scope"}


def dump(lg: Ledger) -> dict[str, list[dict[str, Any]]]:
    """Every read-model row (snapshots and timestamps aside), in a stable order."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in lg.db.table_names():
        if name.startswith("rm_") and name not in RM_SKIPPED:
            rows = [{k: v.decode() if k == "piece" else v  # equal pieces: the same bytes
                     for k, v in row.items() if k != "updated_at"}
                    for row in lg.db[name].rows]
            tables[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return tables


def drop_read_models(lg: Ledger) -> None:
    for name in lg.db.table_names():
        if name.startswith("rm_"):
            lg.db[name].drop()


class Upto:
    """The ledger as it stood when its head was ``upto``: a log that grows as a test says."""

    def __init__(self, lg: Ledger, upto: int = 0) -> None:
        self.lg = lg
        self.upto = upto
        self.after: list[int] = []  # the ``after`` of every read, to see where reads start

    @property
    def db(self) -> Any:
        return self.lg.db

    def head(self) -> int:
        return min(self.lg.head(), self.upto)

    def read(self, *, after: int = 0, at_position: int | None = None,
             **options: Any) -> Iterator[Envelope]:
        if options.get("limit") != 1:  # not the one event whose hash a snapshot checks
            self.after.append(after)
        bound = self.upto if at_position is None else min(at_position, self.upto)
        return self.lg.read(after=after, at_position=bound, **options)


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    lg = seeded(tmp_path_factory.mktemp("extended") / "ledger.db")
    extend(lg)
    yield lg
    lg.close()


@pytest.fixture(scope="module")
def reference(extended: Ledger) -> dict[str, list[dict[str, Any]]]:
    drop_read_models(extended)
    Projector(extended).rebuild()
    return dump(extended)


@pytest.fixture(scope="module")
def reference_of_seed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Every read-model row of the seed, rebuilt from nothing."""
    lg = seeded(tmp_path_factory.mktemp("reference") / "ledger.db")
    Projector(lg).rebuild()
    rows = dump(lg)
    lg.close()
    return rows


def another_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the fold's ``FORMAT`` had moved on, in every module that stores or checks it."""
    for module in (snapshot_module, projector_module):
        monkeypatch.setattr(module, "FORMAT", matchledger.projections.state.FORMAT + 1)


@pytest.fixture
def seed(db_path: Path) -> Iterator[Ledger]:
    lg = seeded(db_path)
    yield lg
    lg.close()


# --- the seed, as the issue states it -----------------------------------------------------------


@pytest.mark.parametrize("when", [{}, {"as_of": dt.datetime(2024, 3, 14, 18, tzinfo=UTC)},
                                  {"at_position": 30}, {"known_at": APRIL_12}])
def test_the_registered_teams_are_those_of_the_whole_fold(seed: Ledger,
                                                         when: dict[str, Any]) -> None:
    assert registered_teams(seed, **when) == sorted(state_at(seed, **when).teams.values(),
                                                    key=lambda t: t.id)


def test_rebuild_of_the_seed_gives_the_quarter_final_results(seed: Ledger) -> None:
    projector = Projector(seed, snapshot_every=25)
    assert projector.rebuild() == seed.head() == projector.checkpoint()
    rows = {r["tie"]: (r["aggregate0"], r["aggregate1"], r["winner"], r["decided_by"])
            for r in seed.db["rm_tie"].rows_where("competition = ?", [UEFA])}
    assert rows["QF1"] == (1, 3, "roma", "aggregate")  # over ac-milan
    assert rows["QF2"] == (1, 3, "atalanta", "aggregate")  # over liverpool
    assert rows["QF3"] == (3, 1, "leverkusen", "aggregate")  # over west-ham
    assert rows["QF4"] == (2, 2, "marseille", "penalties")  # over benfica
    assert tie(projector.state or State(), "QF4").legs[1].penalties == (4, 2)
    stored = json.loads(seed.db.table("rm_bracket").get(UEFA)["json"])
    semi_finals = {t["tie"]: t["sides"] for t in stored["rounds"][1]["ties"]}
    assert semi_finals == {"SF1": ["marseille", "atalanta"], "SF2": ["roma", "leverkusen"]}
    assert [r["round"] for r in stored["rounds"]] == ["QF", "SF", "F"]
    assert stored == to_json(bracket(state_at(seed), UEFA))


def test_as_of_12_april_four_first_legs_and_both_semi_finals_open(seed: Ledger) -> None:
    Projector(seed, snapshot_every=10).rebuild()
    data = to_json(bracket(state_at(seed, as_of=APRIL_12), UEFA))
    quarter_finals, semi_finals = data["rounds"][0]["ties"], data["rounds"][1]["ties"]
    assert [[leg["score"] for leg in t["legs"]] for t in quarter_finals] == [
        [[0, 1], None], [[0, 3], None], [[2, 0], None], [[2, 1], None]]
    assert [t["winner"] for t in quarter_finals + semi_finals] == [None] * 6
    assert semi_finals[0]["sides"] == [
        {"winner_of": "QF4", "candidates": ["benfica", "marseille"]},
        {"winner_of": "QF2", "candidates": ["liverpool", "atalanta"]}]
    assert semi_finals[1]["sides"] == [
        {"winner_of": "QF1", "candidates": ["ac-milan", "roma"]},
        {"winner_of": "QF3", "candidates": ["leverkusen", "west-ham"]}]
    assert data["open"] == ["QF1", "QF2", "QF3", "QF4", "SF1", "SF2", "F"]


def test_known_before_the_second_legs_were_recorded_even_as_of_19_april(seed: Ledger) -> None:
    Projector(seed, snapshot_every=10).rebuild()
    believed = state_at(seed, as_of=APRIL_19, known_at=BEFORE_SECOND_LEGS_RECORDED)
    assert to_json(bracket(believed, UEFA)) == to_json(
        bracket(state_at(seed, as_of=APRIL_12), UEFA))
    assert to_json(bracket(state_at(seed, as_of=APRIL_19), UEFA))["rounds"][1]["ties"][0][
        "sides"] == ["marseille", "atalanta"]
    assert state_at(seed, at_position=60).position == 60


# --- rebuild, catch-up and snapshots agree ----------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(0, 200), max_size=5), chunk=st.integers(1, 40),
       every=st.integers(1, 60), restarts=st.lists(st.booleans(), min_size=6, max_size=6),
       once=st.booleans())
def test_catch_up_in_any_chunks_and_replay_from_any_snapshot_equal_a_rebuild(
    extended: Ledger, reference: dict[str, list[dict[str, Any]]], cuts: list[int], chunk: int,
    every: int, restarts: list[bool], once: bool,
) -> None:
    head = extended.head()
    drop_read_models(extended)
    log = Upto(extended)
    projector = Projector(log, snapshot_every=every, chunk=chunk, once=once)
    for cut, restart in zip([*sorted(min(c, head) for c in cuts), head], restarts,
                            strict=False):
        log.upto = cut
        if restart:  # another process, starting from what the tables hold
            projector = Projector(log, snapshot_every=every, chunk=chunk, once=once)
        assert projector.catch_up() == cut
        if once:  # it kept no team's pieces: each catch-up makes its teams' tables anew
            assert not projector._book.pieces
    assert dump(extended) == reference
    full = fold_all(extended.read())
    taken = snapshots(extended.db)
    multiples = set(range(every, head + 1, every))
    # one-off catch-ups also leave one where they stop (``every`` < 10: always)
    assert multiples <= {p for p, _, _ in taken} <= multiples | ({*cuts, head} if once else set())
    for position, _, _ in taken:
        state = nearest_snapshot(extended, at_position=position)
        assert state.position == position
        assert fold_all(extended.read(after=position), state) == full


def passes(env: Envelope, as_of: dt.datetime | None, known_at: dt.datetime | None,
           at_position: int | None) -> bool:
    return ((at_position is None or env.position <= at_position)
            and (known_at is None or env.recorded_at <= known_at)
            and (as_of is None or env.occurred_at <= as_of or env.type == "EventRetracted"))


def draw_filters(data: st.DataObject, envelopes: list[Envelope]) -> dict[str, Any]:
    """as_of, known_at (each a time of the log or a microsecond before it) and at_position,
    each possibly None."""
    wiggle = st.sampled_from([dt.timedelta(0), dt.timedelta(microseconds=-1)])

    def near(times: set[dt.datetime]) -> st.SearchStrategy[dt.datetime | None]:
        return st.none() | st.builds(lambda t, d: t + d, st.sampled_from(sorted(times)), wiggle)

    return {"as_of": data.draw(near({e.occurred_at for e in envelopes})),
            "known_at": data.draw(near({e.recorded_at for e in envelopes})),
            "at_position": data.draw(st.none() | st.integers(0, len(envelopes)))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), every=st.integers(1, 50))
def test_time_travel_from_a_snapshot_equals_a_fold_of_the_filtered_log(
    extended: Ledger, data: st.DataObject, every: int,
) -> None:
    envelopes = list(extended.read())
    filters = draw_filters(data, envelopes)
    Projector(extended, snapshot_every=every).rebuild()
    got = state_at(extended, **filters)
    expected = fold_all(MemoryLog(envelopes).read(**filters))  # the rule, read plainly
    assert got == expected


def answer(view: Any, state: State, name: str) -> Any:
    """A view's JSON, or the error it raises: what a reader is shown either way."""
    try:
        return to_json(view(state, name))
    except Exception as e:  # noqa: BLE001 - the same refusal on both sides is an answer too
        return f"{type(e).__name__}: {e}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), every=st.integers(1, 50))
def test_a_competition_or_team_scope_answers_as_the_whole_state_does(
    extended: Ledger, data: st.DataObject, every: int,
) -> None:
    filters = draw_filters(data, list(extended.read()))
    Projector(extended, snapshot_every=every).rebuild()
    whole = state_at(extended, **filters)
    for competition in (UEFA, "bundesliga-2023-24", "nowhere"):
        scoped = state_at(extended, competition=competition, **filters)
        for view in (bracket, table):
            assert answer(view, scoped, competition) == answer(view, whole, competition)
    teams = {t for fx in whole.fixtures.values() for t in (fx.home, fx.away)}
    teams |= set(whole.teams) | {"nobody"}
    for team in sorted(t for t in teams if t):
        scoped = state_at(extended, team=team, **filters)
        for team_view in (streaks, players, outcomes):
            assert answer(team_view, scoped, team) == answer(team_view, whole, team)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), every=st.integers(1, 50))
def test_a_scoped_state_brought_up_to_date_equals_one_loaded_anew(
    extended: Ledger, data: st.DataObject, every: int,
) -> None:
    """What an append and then its score line, or a follower's next line, read: a scope
    loaded at some position (from a snapshot or the log) and advanced to the head."""
    head = extended.head()
    Projector(extended, snapshot_every=every).rebuild()
    then = data.draw(st.integers(0, head))
    teams = sorted({t for fx in state_at(extended).fixtures.values() for t in (fx.home, fx.away)
                    if t})
    scopes: list[dict[str, Any]] = [{"competition": UEFA}, {"competition": "bundesliga-2023-24"},
                                    {"competition": "nowhere"},
                                    {"team": data.draw(st.sampled_from(teams))}]
    for scope in scopes:
        loaded = state_at(extended, at_position=then, **scope)
        assert folded(advance(extended, loaded, **scope)) == folded(
            state_at(extended, **scope)), scope


class Racing:
    """A ledger another process appends to just before the fold's first read of the match
    streams (``armed``): between the reads of one catch-up."""

    def __init__(self, lg: Ledger) -> None:
        self.lg = lg
        self.armed: Callable[[], None] | None = None
        self.db, self.head, self.competition_of = lg.db, lg.head, lg.competition_of

    def read(self, **options: Any) -> Iterator[Envelope]:
        if options.get("streams") is not None and self.armed is not None:
            hook, self.armed = self.armed, None
            hook()
        return self.lg.read(**options)


def test_a_fact_committed_while_a_kept_fold_catches_up_is_folded_later(db_path: Path) -> None:
    """A rename and a goal committed together while a competition's kept fold reads: the
    fold reads up to one head, so it takes both then or both at its next catch-up, never
    the goal alone (after which the rename would be behind it for good)."""
    with Ledger(db_path) as lg:
        setup_tie(lg)
        lg.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=Period.FIRST_HALF)))
        racing = Racing(lg)
        hot = query.Hot(racing, competition="cup")
        hot.state()

        def another_process() -> None:
            with Ledger(db_path) as other:
                other.submit_runs([
                    StreamRun("competition:cup", drafts(TeamRegistered(
                        team="benfica", name="Sport Lisboa", country="POR"), start=at(5))),
                    StreamRun("match:t1-leg1", drafts(GoalScored(team="benfica", minute=5),
                                                      start=at(5)))])

        racing.armed = another_process
        hot.state()
        lg.append("match:t1-leg1", drafts(GoalScored(team="benfica", minute=9), start=at(9)))
        state = hot.state()
        assert state.teams["benfica"].name == "Sport Lisboa"
        assert folded(state) == folded(state_at(lg, competition="cup"))


def folded(state: State) -> State:
    """What a state holds, without where its fold began or ended (a snapshot's position, or
    the last event folded), which no view reads."""
    return attrs.evolve(state, position=0, max_occurred=NEVER, max_recorded=NEVER)


@pytest.mark.parametrize("every", [1, 1000])  # parts from snapshots, or all from the log
def test_a_competition_scope_names_the_teams_of_its_fixtures_registered_elsewhere(
    db_path: Path, every: int,
) -> None:
    with Ledger(db_path) as lg:
        setup_tie(lg)  # Benfica and Marseille are registered in "cup" only
        lg.append("competition:friendly", drafts(
            CompetitionCreated(competition="friendly", name="Friendly", season="2024")),
            expected_version=-1)
        Projector(lg, snapshot_every=every).rebuild()
        before = state_at(lg, competition="friendly")  # advanced past the fixture below
        lg.append("competition:friendly", drafts(
            FixtureScheduled(match="f1", home="benfica", away="marseille",
                             date=dt.date(2024, 7, 20))), expected_version=0)
        Projector(lg, snapshot_every=every).rebuild()
        state = state_at(lg, competition="friendly")
        assert {t: state.teams[t].name for t in ("benfica", "marseille")} == {
            "benfica": "Benfica", "marseille": "Olympique de Marseille"}
        assert scoreboard(state, "f1") == scoreboard(state_at(lg), "f1")
        assert folded(advance(lg, before, competition="friendly")) == folded(state)


def test_snapshots_of_an_older_version_are_not_read_and_the_answer_stays_right(
    seed: Ledger,
) -> None:
    Projector(seed, snapshot_every=10).rebuild()
    expected = to_json(bracket(state_at(seed, as_of=APRIL_12), UEFA))
    seed.db.execute("DROP TABLE rm_snapshot_scope")  # as a version without scopes left it
    assert nearest_snapshot(seed, at_position=100).position == 0
    assert to_json(bracket(state_at(seed, as_of=APRIL_12, competition=UEFA), UEFA)) == expected
    Projector(seed, snapshot_every=10).catch_up()  # puts this version's snapshots back
    assert nearest_snapshot(seed, at_position=100).position == 100
    assert to_json(bracket(state_at(seed, as_of=APRIL_12, competition=UEFA), UEFA)) == expected


def test_a_snapshot_is_used_only_when_every_event_up_to_it_passes_the_filters(
    seed: Ledger,
) -> None:
    Projector(seed, snapshot_every=10).rebuild()
    envelopes = list(seed.read())
    for as_of in (APRIL_12, APRIL_19, None):
        chosen = nearest_snapshot(seed, as_of=as_of, known_at=BEFORE_SECOND_LEGS_RECORDED)
        usable = [p for p in range(10, len(envelopes) + 1, 10)
                  if all(passes(e, as_of, BEFORE_SECOND_LEGS_RECORDED, None)
                         and (as_of is None or e.occurred_at <= as_of)
                         for e in envelopes[:p])]
        assert chosen.position == max(usable, default=0)


def test_a_new_process_resumes_from_the_latest_snapshot(seed: Ledger) -> None:
    log = Upto(seed, 130)
    Projector(log, snapshot_every=20).rebuild()
    log.upto, log.after = seed.head(), []
    assert Projector(log, snapshot_every=20).catch_up() == seed.head() == 142
    assert log.after[0] == 120  # not 0: the fold state came from the snapshot at 120
    log.after = []
    assert Projector(log, snapshot_every=20, once=True).catch_up() == 142
    assert log.after == []  # a one-off with nothing new: nothing read, no state loaded
    follower = Projector(log, snapshot_every=20)
    assert follower.catch_up() == 142  # a long-lived one loads it now, not at the first event
    assert follower.state is not None and follower.state.position == 142
    assert follower.state.cache is not None  # and its lookups, built before the next event


def test_a_new_process_leaves_a_snapshot_where_it_stops_for_the_next_one(seed: Ledger) -> None:
    log = Upto(seed, 81)
    Projector(log, snapshot_every=40).rebuild()
    log.upto = 83
    Projector(log, snapshot_every=40, once=True).catch_up()  # less than 40 / 10 since 80
    log.upto = 100
    Projector(log, snapshot_every=40).catch_up()  # long-lived: at multiples of 40 only
    assert [p for p, _, _ in snapshots(seed.db)] == [40, 80]
    log.upto = 115
    Projector(log, snapshot_every=40, once=True).catch_up()
    assert [p for p, _, _ in snapshots(seed.db)] == [40, 80, 115]
    assert nearest_snapshot(seed, at_position=115) == fold_all(seed.read(at_position=115))
    log.upto, log.after = 116, []
    Projector(log, snapshot_every=40, once=True).catch_up()
    assert log.after == [115]  # the next one read the log from there


@pytest.mark.parametrize("upto", [101, 110, 125, 142])
def test_a_new_process_loads_only_the_part_of_the_state_its_new_events_need(
    seed: Ledger, reference_of_seed: dict[str, list[dict[str, Any]]], upto: int,
) -> None:
    log = Upto(seed, upto - 1)
    Projector(log, snapshot_every=10).rebuild()
    log.upto, log.after = upto, []
    projector = Projector(log, snapshot_every=10, once=True)
    assert projector.catch_up() == upto
    assert projector.state is None  # a partial state is not kept for next time
    assert log.after == [(upto - 1) // 10 * 10]  # the log read once, from the snapshot
    log.upto = seed.head()
    Projector(log, snapshot_every=10, once=True).catch_up()
    assert dump(seed) == reference_of_seed


def test_a_new_process_catching_up_a_new_competition_loads_only_part_of_the_state(
    db_path: Path,
) -> None:
    lg = Ledger(db_path)
    for stream, batch in generate(events=5_000, seed=7):
        lg.append(stream, batch)
    created = [e.position for e in lg.read(types=["CompetitionCreated"]) if e.position > 1_000]
    assert created  # the generated world opens competitions as it goes
    log = Upto(lg, created[-1] - 1)
    Projector(log, snapshot_every=1_000).rebuild()
    log.upto, log.after = created[-1] + 30, []
    assert Projector(log, snapshot_every=1_000, once=True).catch_up() == log.upto
    assert log.after == [(created[-1] - 1) // 1_000 * 1_000]  # one read, of a partial state
    log.upto = lg.head()
    Projector(log, snapshot_every=1_000, once=True).catch_up()
    caught_up = dump(lg)
    Projector(lg).rebuild()
    assert caught_up == dump(lg)
    lg.close()


def test_only_a_long_lived_projector_freezes_its_state_out_of_the_cycle_collector(
    seed: Ledger,
) -> None:
    gc.unfreeze()
    try:
        Projector(seed, once=True).rebuild()
        assert gc.get_freeze_count() == 0  # a one-shot projector leaves the process alone
        Projector(seed).rebuild()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_new_process_keeps_a_team_whose_player_registers_where_the_team_never_played(
    seed: Ledger,
) -> None:
    """Roma's player registered in the Bundesliga: a competition Roma has no match or
    registration in, so its part of the state does not hold Roma; its rows must stay."""
    Projector(seed, snapshot_every=10).rebuild()
    clock = Clock(LATER)
    append(seed, clock, "competition:bundesliga-2023-24", LATER,
           (0, PlayerRegistered(team="roma", name="Giovanni Nuovo")))
    Projector(seed, snapshot_every=10, once=True).catch_up()
    caught_up = dump(seed)
    drop_read_models(seed)
    Projector(seed, snapshot_every=10).rebuild()
    assert caught_up == dump(seed)
    assert seed.db.table("rm_team_record").count_where("team = 'roma'") > 0


def test_a_long_lived_projector_loads_the_whole_state_once_and_keeps_it(seed: Ledger) -> None:
    log = Upto(seed, 120)
    Projector(log, snapshot_every=10).rebuild()
    projector = Projector(log, snapshot_every=10)
    for upto in (125, 130, seed.head()):
        log.upto = upto
        assert projector.catch_up() == upto
        assert projector.state is not None and projector.state.position == upto
        assert set(projector.state.matches) == set(fold_all(seed.read(at_position=upto)).matches)


def test_a_new_process_catching_up_a_team_loads_its_matches_in_every_competition(
    extended: Ledger, reference: dict[str, list[dict[str, Any]]],
) -> None:
    """Leverkusen's last events are a semi-final; its record also counts a league match."""
    head = extended.head()
    for cut in range(head - 6, head):
        drop_read_models(extended)
        log = Upto(extended, cut)
        Projector(log, snapshot_every=5).rebuild()
        log.upto = head
        projector = Projector(log, snapshot_every=5, once=True)
        assert projector.catch_up() == head
        assert projector.state is None  # it was a partial state
        assert dump(extended) == reference


def test_rebuild_reports_progress_up_to_the_head(seed: Ledger) -> None:
    seen: list[tuple[int, int]] = []
    Projector(seed, chunk=50).rebuild(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(50, 142), (100, 142), (142, 142)]


# --- changes reach every read model -------------------------------------------------------------


def test_retraction_and_disallowed_goal_change_every_read_model(seed: Ledger) -> None:
    projector = Projector(seed)
    projector.rebuild()
    clock = Clock(LATER)
    gone = [i for p in ("Gianluca Scamacca", "Mario Pasalic")
            for i in event_ids(seed, "uel24-qf2-leg1", p)]
    append(seed, clock, "match:uel24-qf2-leg1", LATER,
           *[(0, EventRetracted(event=i, reason="wrong match")) for i in gone])
    moumbagna = event_ids(seed, "uel24-qf4-leg2", "Faris Moumbagna")[0]
    append(seed, clock, "match:uel24-qf4-leg2", LATER,
           (0, GoalDisallowed(goal=moumbagna, reason="offside")))
    assert projector.catch_up() == seed.head()
    db = seed.db
    boards = {r["match"]: (r["home_goals"], r["away_goals"]) for r in db["rm_scoreboard"].rows}
    assert boards["uel24-qf2-leg1"] == (0, 0) and boards["uel24-qf4-leg2"] == (0, 0)
    ties = {r["tie"]: (r["aggregate0"], r["aggregate1"], r["winner"], r["decided_by"])
            for r in db["rm_tie"].rows}
    assert ties["QF2"] == (1, 0, "liverpool", "aggregate")
    assert ties["QF4"] == (2, 1, "benfica", "aggregate")
    stored = json.loads(db.table("rm_bracket").get(UEFA)["json"])
    assert stored["rounds"][1]["ties"][0]["sides"] == ["benfica", "liverpool"]
    scorers = {r["player"] for r in db["rm_player"].rows if r["goals"]}
    assert scorers.isdisjoint({"Gianluca Scamacca", "Mario Pasalic", "Faris Moumbagna"})
    runs = {(r["team"], r["kind"], r["which"]): r["length"] for r in db["rm_streak"].rows}
    assert runs[("liverpool", "unbeaten", "current")] == 2
    assert runs[("marseille", "winless", "current")] == 2
    assert runs[("atalanta", "scoring", "current")] == 0
    state = state_at(seed)
    assert {p.player for p in players(state, "atalanta")}.isdisjoint({"Gianluca Scamacca"})
    assert streaks(state, "benfica").winning.longest.length == 1
    caught_up = dump(seed)
    drop_read_models(seed)
    Projector(seed).rebuild()
    assert dump(seed) == caught_up


def test_streaks_are_right_when_matches_are_appended_out_of_order(
    tmp_path: Path, seed: Ledger,
) -> None:
    lines = seed_path().read_text().splitlines(keepends=True)
    late = [line for line in lines if "bundesliga" in line or "bl24-" in line
            or "r16" in line]
    shuffled = seeded(tmp_path / "late.db", [line for line in lines if line not in late] + late)
    try:
        projector = Projector(shuffled)
        projector.rebuild()
        got = to_json(streaks(projector.state or State(), "leverkusen"))
        assert got == to_json(streaks(state_at(seed), "leverkusen"))
        assert got["unbeaten"]["current"] == {
            "length": 4, "wins": 3, "draws": 1, "losses": 0,
            "first_match": "uel24-r16-lev-qar-leg2", "last_match": "uel24-qf3-leg2"}
        assert got["winning"]["longest"] == {
            "length": 3, "wins": 3, "draws": 0, "losses": 0,
            "first_match": "uel24-r16-lev-qar-leg2", "last_match": "bl24-lev-svw"}
        assert got["winning"]["current"]["length"] == 0
        stored = {(r["kind"], r["which"]): r for r in shuffled.db["rm_streak"].rows_where(
            "team = ?", ["leverkusen"])}
        assert stored[("winning", "longest")]["last_match"] == "bl24-lev-svw"
    finally:
        shuffled.close()


# --- several processes ---------------------------------------------------------------------------


def test_follow_keeps_the_read_models_current_while_another_connection_appends(
    db_path: Path,
) -> None:
    lines = seed_path().read_text().splitlines(keepends=True)
    first = seeded(db_path, lines[:60])
    writer_done = threading.Event()

    def writer() -> None:
        other = Ledger(db_path)
        try:
            batch = db_path.with_name("batch.jsonl")
            for start in range(60, len(lines), 20):
                batch.write_text("".join(lines[start:start + 20]))
                import_file(other, str(batch))
                time.sleep(0.02)
        finally:
            other.close()
            writer_done.set()

    thread = threading.Thread(target=writer)
    seen: list[int] = []
    deadline = time.monotonic() + 30
    thread.start()
    try:
        for position in Projector(first).follow(
                interval=0.01, stop=lambda: time.monotonic() > deadline):
            seen.append(position)
            if position == len(lines):
                break
    finally:
        thread.join()
    assert seen[-1] == len(lines) and seen == sorted(seen) and len(seen) > 1
    followed = dump(first)
    drop_read_models(first)
    Projector(first).rebuild()
    assert dump(first) == followed
    first.close()


def test_a_projector_that_fell_behind_never_writes_a_stale_checkpoint(seed: Ledger) -> None:
    other = Projector(Ledger(seed.path))

    class Interleaved(Upto):
        def read(self, *, after: int = 0, at_position: int | None = None,
                 **options: Any) -> Iterator[Envelope]:
            if after == 0 and not self.after:
                other.catch_up()  # moves the stored checkpoint under our feet
            return super().read(after=after, at_position=at_position, **options)

    slow = Projector(Interleaved(seed, seed.head()))
    assert slow.catch_up() == seed.head()
    assert slow.checkpoint() == seed.head()
    caught_up = dump(seed)
    Projector(seed).rebuild()
    assert dump(seed) == caught_up
    with pytest.raises(CheckpointMoved):
        slow._write(State(), readmodels_module.Dirty(), expected=0)
    other.ledger.db.conn.close()


def test_a_failed_write_leaves_the_rows_and_the_checkpoint_as_they_were(
    seed: Ledger, monkeypatch: pytest.MonkeyPatch,
) -> None:
    projector = Projector(Upto(seed, 100))
    projector.catch_up()
    before = dump(seed)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(readmodels_module, "_write_teams", broken)
    fresh = Projector(seed)
    with pytest.raises(RuntimeError):
        fresh.catch_up()
    assert dump(seed) == before
    assert fresh.checkpoint() == 100
    monkeypatch.undo()
    assert fresh.catch_up() == seed.head()  # the same projector again, as a follower retries
    caught_up = dump(seed)
    Projector(seed).rebuild()
    assert dump(seed) == caught_up


def test_a_follower_that_meets_a_held_write_lock_catches_up_once_it_is_let_go(
    seed: Ledger,
) -> None:
    with Ledger(seed.path, timeout=0.1) as impatient:  # busy for 0.1 s at most
        follower = Projector(impatient)
        follower.catch_up()
        extend(seed)
        holder = sqlite3.connect(seed.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # a long import, say
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            follower.catch_up()  # what 'rebuild --follow' waits out
        holder.execute("ROLLBACK")
        holder.close()
        assert follower.catch_up() == seed.head()
    caught_up = dump(seed)
    Projector(seed).rebuild()
    assert dump(seed) == caught_up


def test_read_model_tables_sit_beside_the_log(seed: Ledger) -> None:
    Projector(seed).rebuild()
    names = set(seed.db.table_names())
    assert {"events", "rm_checkpoint", "rm_snapshot", "rm_snapshot_part", "rm_competition",
            "rm_team", "rm_scoreboard", "rm_tie", "rm_bracket", "rm_team_record",
            "rm_streak", "rm_player"} <= names
    assert seed.verify().ok
    row = seed.db.table("rm_scoreboard").get("uel24-qf4-leg2")
    assert (row["home"], row["home_goals"], row["away_goals"], row["home_penalties"],
            row["away_penalties"]) == ("marseille", 1, 0, 4, 2)
    data = to_json(scoreboard(state_at(seed), "uel24-qf4-leg2"))
    assert (row["status"], row["date"], row["kickoff"]) == (data["status"], data["date"],
                                                            data["kickoff"])
    overall = seed.db.table("rm_team_record").get(("leverkusen", ""))
    assert (overall["played"], overall["won"], overall["drawn"]) == (4, 3, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """The bench's world, small: leagues and cups, retractions, back-filled matches, with
    snapshots every 1,000 events."""
    lg = Ledger(tmp_path_factory.mktemp("world") / "ledger.db")
    for stream, batch in generate(events=5_000, seed=7):
        lg.append(stream, batch)
    Projector(lg, snapshot_every=1_000).rebuild()
    yield lg
    lg.close()


@pytest.mark.parametrize("log", ["extended", "generated"])
@pytest.mark.parametrize("step", [1, 7, 400])
def test_lookups_brought_up_to_date_equal_those_built_anew(
    extended: Ledger, world: Ledger, log: str, step: int,
) -> None:
    state = State()
    envelopes = list((extended if log == "extended" else world).read())
    for n, env in enumerate(envelopes, 1):
        fold(state, env)
        if n % step == 0 or n == len(envelopes):  # the last one too: a step may pass it by
            kept = index(state)  # brought up to date from the last one, once there is one
            anew = index(state.copy())  # a copy has none: built from the whole state
            assert attrs.evolve(kept, order=None) == anew  # each list in the same order
            assert {t: list(v) for t, v in kept.by_team_competition.items()} == {
                t: list(v) for t, v in anew.by_team_competition.items()}


@pytest.mark.parametrize("log", ["extended", "generated"])
def test_read_models_caught_up_answer_for_every_team_as_the_whole_fold(
    db_path: Path, world: Ledger, log: str,
) -> None:
    if log == "extended":
        lg = seeded(db_path)
        extend(lg)
        Projector(lg, snapshot_every=1_000).rebuild()
    else:
        lg = world
    found = current(lg)
    state = fold_all(lg.read())
    assert found is not None
    assert list(found.teams.values()) == registered_teams(lg)
    assert found.players == players(state)
    assert found.streaks == {team: streaks(state, team) for team in state.teams}
    assert any(p.own_goals for p in found.players) and any(p.red for p in found.players)
    assert any(s.unbeaten.longest.length > 1 for s in found.streaks.values())


@pytest.mark.parametrize("once", [True, False])
def test_catching_up_from_stored_pieces_in_steps_equals_a_rebuild(
    tmp_path: Path, once: bool,
) -> None:
    """Each step starts from the pieces and sums the last one stored: a new process each time
    (``once``), or one follower that never rebuilt. The generated world's teams play leagues
    and cups over seasons, and its back-filled results make streaks replay."""
    lg = Ledger(tmp_path / "steps.db")
    for stream, batch in generate(events=6_000, seed=11):
        lg.append(stream, batch)
    log = Upto(lg, 3_000)
    Projector(log, snapshot_every=500).rebuild()
    follower = Projector(log, snapshot_every=500)
    for upto in range(3_250, lg.head() + 250, 250):
        log.upto = upto
        projector = Projector(log, snapshot_every=500, once=True) if once else follower
        assert projector.catch_up() == min(upto, lg.head())
    caught_up = dump(lg)
    drop_read_models(lg)
    Projector(lg).rebuild()
    assert caught_up == dump(lg)
    lg.close()


def test_the_players_of_each_competition_add_up_to_all_of_them(world: Ledger) -> None:
    def tally(records: tuple[PlayerRecord, ...]) -> Counter[tuple[str, str, str]]:
        return +Counter({(r.team, r.player, field): getattr(r, field) for r in records
                         for field in ("goals", "penalties", "own_goals", "yellow", "red")})

    state = fold_all(world.read())
    total: Counter[tuple[str, str, str]] = Counter()
    for competition in state.competitions:
        part = players(state, competition=competition)
        total += tally(part)
        # a competition's part of the state answers as the whole does
        assert players(state_at(world, competition=competition),
                       competition=competition) == part
        for team in sorted({r.team for r in part})[:3]:
            assert players(state, team, competition) == tuple(r for r in part
                                                               if r.team == team)
    assert total == tally(players(state)) and len(state.competitions) > 1
    with pytest.raises(UnknownCompetition):
        players(state, competition="nope")


def test_a_team_s_streaks_in_one_competition_from_its_part_or_the_whole(
        world: Ledger) -> None:
    state = fold_all(world.read())
    for competition in state.competitions:
        scoped = state_at(world, competition=competition)
        for team in competition_teams(state, competition)[:4]:
            view = streaks(state, team, competition)
            assert streaks(scoped, team, competition) == view
            assert streaks(state_at(world, team=team), team, competition) == view
            runs = outcomes(state, team, competition)
            assert view.unbeaten.longest.length <= len(runs)
            assert {o.match for o in runs} <= set(index(state).by_competition[competition])


def test_read_models_a_few_events_behind_answer_as_caught_up_in_memory(seed: Ledger) -> None:
    """Behind the log by a few events, the read models answer as they will once caught up:
    the rows of the teams the new events change are made in memory, nothing is written."""
    Projector(seed).rebuild()
    expected = current(seed)
    assert expected is not None
    answered = 0
    for upto in range(31, seed.head(), 7):
        Projector(Upto(seed, upto), snapshot_every=30).rebuild()
        rows = dump(seed)
        found = current(seed)
        assert dump(seed) == rows  # caught up in memory only
        if found is not None:
            answered += 1
            assert found == expected, upto
    assert answered >= 5


def test_read_models_behind_the_log_or_of_another_version_do_not_answer(
    seed: Ledger, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert current(seed) is None  # never built
    projector = Projector(seed)
    projector.rebuild()
    assert current(seed) is not None
    gabbia = event_ids(seed, "uel24-qf1-leg2", "Matteo Gabbia")[0]
    append(seed, Clock(LATER), "match:uel24-qf1-leg2", LATER,
           (0, EventRetracted(event=gabbia, reason="typed into the wrong match")))
    assert current(seed) is None
    projector.catch_up()
    found = current(seed)
    assert found is not None
    assert "Matteo Gabbia" not in {p.player for p in found.players}
    with seed.transaction(write=False):  # inside a caller's transaction too
        assert current(seed) == found
    another_format(monkeypatch)
    assert current(seed) is None
    monkeypatch.undo()
    seed.db.execute("DELETE FROM rm_streak WHERE team = 'roma'")  # by hand, behind its back
    assert current(seed) is None
    seed.db["rm_streak"].drop()
    assert current(seed) is None


def test_an_empty_ledger_has_empty_read_models(ledger: Ledger) -> None:
    projector = Projector(ledger)
    assert projector.rebuild() == 0 == projector.catch_up()
    assert state_at(ledger) == State()
    assert ledger.db["rm_scoreboard"].count == 0


def test_read_models_of_another_fold_version_are_rebuilt(
    seed: Ledger, monkeypatch: pytest.MonkeyPatch,
) -> None:
    Projector(seed, snapshot_every=30).rebuild()
    expected = dump(seed)
    another_format(monkeypatch)
    assert nearest_snapshot(seed, at_position=100).position == 0  # old snapshots unused
    seed.db.execute("DELETE FROM rm_tie")  # stale rows of the old version
    assert Projector(seed, snapshot_every=30).catch_up() == seed.head()
    expected["rm_checkpoint"][0]["format"] += 1
    assert dump(seed) == expected
    assert [p for p, _, _ in snapshots(seed.db)] == [30, 60, 90, 120]


def test_every_part_and_piece_comes_back_from_its_stored_json_unchanged(world: Ledger) -> None:
    """The stored form of derived state is JSON (nothing in it can run code) and loses
    nothing: every match state and fact history of a world with VAR, retractions, shoot-outs
    and back-filled results, and every team's pieces."""
    state = fold_all(world.read())
    for key in all_keys(state):
        value = state.matches[key[1]] if key[0] == "match" else state.history[key]
        assert decode_part(key, encode_part(key, value)) == value, key
    book = Book(keep=True)
    for team in sorted(state.teams)[:40]:
        tables = book.team(state, team, dirty={})
        for competition, piece in tables.pieces.items():
            assert decode_piece(encode_piece(piece), team, competition) == piece


# --- pieces updated by the matches that changed -----------------------------------------------

BUNDESLIGA = "competition:bundesliga-2023-24"


def twist(lg: Ledger) -> None:
    """After ``extend``, what a team's piece must follow when only its changed matches update
    it: a fixture's teams changed before kick-off (atalanta loses its only Bundesliga match), a
    goal amended twice (a penalty, then an own goal: the result turns), a card retracted, a
    finished match moved before the team's other results (its streaks are replayed), a team
    renamed and registered where it never played, a match abandoned after a goal, and a
    match whose every event is retracted, then given to other teams (caught up at once: a
    piece takes out what the match gave it as it was scheduled before)."""
    clock = Clock(LATER + dt.timedelta(days=1))
    early, late = (dt.datetime(2024, 4, 14, 17, 30, tzinfo=CEST),
                   dt.datetime(2024, 4, 20, 15, 30, tzinfo=CEST))
    for away in ("atalanta", "werder-bremen"):
        append(lg, clock, BUNDESLIGA, LATER, (0, FixtureScheduled(
            match="bl24-b04-wer", date=early.date(), kickoff=early, home="leverkusen",
            away=away)))
    stream = "match:bl24-b04-wer"
    append(lg, clock, stream, early, (0, MatchStarted()),
           (0, PeriodStarted(period=Period.FIRST_HALF)),
           (12, GoalScored(team="leverkusen", player="Jeremie Frimpong", minute=12)),
           (20, CardShown(team="leverkusen", player="Jeremie Frimpong", card=Card.YELLOW,
                          minute=20)),
           (47, PeriodEnded(period=Period.FIRST_HALF)),
           (60, PeriodStarted(period=Period.SECOND_HALF)),
           (110, PeriodEnded(period=Period.SECOND_HALF)), (110, MatchEnded()))
    for kind in (GoalKind.PENALTY, GoalKind.OWN_GOAL):
        goal = list(lg.read(stream=stream, types=["GoalScored"]))[-1]
        lg.amend(stream, goal.event_id, {"kind": kind}, reason="seen again")
    card = next(iter(lg.read(stream=stream, types=["CardShown"])))
    append(lg, clock, stream, LATER, (0, EventRetracted(event=card.event_id, reason="not him")))
    march = dt.datetime(2024, 3, 3, 15, 30, tzinfo=CEST)
    append(lg, clock, BUNDESLIGA, LATER, (0, FixtureScheduled(
        match="bl24-b04-wer", date=march.date(), kickoff=march, home="leverkusen",
        away="werder-bremen")))
    append(lg, clock, BUNDESLIGA, LATER, (0, TeamRegistered(team="leverkusen", name="Bayer 04")))
    append(lg, clock, "competition:pokal-2023-24", LATER, (0, CompetitionCreated(
        competition="pokal-2023-24", name="Pokal", season="2023-24")),
        (0, TeamRegistered(team="leverkusen", name="Bayer 04 Leverkusen")))
    append(lg, clock, BUNDESLIGA, LATER, (0, FixtureScheduled(
        match="bl24-wer-b04", date=late.date(), kickoff=late, home="werder-bremen",
        away="leverkusen")))
    append(lg, clock, "match:bl24-wer-b04", late, (0, MatchStarted()),
           (0, PeriodStarted(period=Period.FIRST_HALF)),
           (12, GoalScored(team="leverkusen", player="Jeremie Frimpong", minute=12)),
           (30, MatchAbandoned(reason="fog", minute=30)))
    append(lg, clock, BUNDESLIGA, LATER, (0, FixtureScheduled(
        match="bl24-b04-rom", date=late.date(), kickoff=late, home="leverkusen", away="roma")))
    append(lg, clock, "match:bl24-b04-rom", late, (0, MatchStarted()),
           (0, PeriodStarted(period=Period.FIRST_HALF)),
           (12, GoalScored(team="leverkusen", player="Jeremie Frimpong", minute=12)))
    for env in reversed(list(lg.read(stream="match:bl24-b04-rom"))):
        append(lg, clock, "match:bl24-b04-rom", LATER + dt.timedelta(days=2), (
            0, EventRetracted(event=env.event_id, reason="another match")))
    append(lg, clock, BUNDESLIGA, LATER, (0, FixtureScheduled(
        match="bl24-b04-rom", date=late.date(), kickoff=late, home="werder-bremen",
        away="roma")))


@pytest.fixture(scope="module")
def twisted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    lg = seeded(tmp_path_factory.mktemp("twisted") / "ledger.db")
    extend(lg)
    twist(lg)
    yield lg
    lg.close()


class Counted:
    """How often the book made a piece anew and updated one by its changed matches."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made = self.updated = 0
        made, updated = book_module._piece, book_module._updated

        def counted_made(*args: Any) -> Any:
            self.made += 1
            return made(*args)

        def counted_updated(*args: Any) -> Any:
            self.updated += 1
            return updated(*args)

        monkeypatch.setattr(book_module, "_piece", counted_made)
        monkeypatch.setattr(book_module, "_updated", counted_updated)


def stored(pieces: dict[str, Piece]) -> dict[str, bytes]:
    return {competition: encode_piece(piece) for competition, piece in pieces.items()}


@pytest.mark.parametrize("log", ["twisted", "generated"])
@pytest.mark.parametrize("step", [1, 6, 250])
def test_pieces_updated_by_their_changed_matches_equal_pieces_made_anew(
    twisted: Ledger, world: Ledger, log: str, step: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long-lived book, given the pairs and matches the read models' writer gives it after
    every ``step`` events and every goal, holds for each team it is asked about what a new
    book makes of the whole state: the same pieces (to the stored byte), sums and streaks."""
    envelopes = list((twisted if log == "twisted" else world).read())
    start = len(envelopes) // 2 if log == "generated" else 150  # the twists begin at 167
    state = fold_all(envelopes[:start], State(touched=set()))
    kept = Book()
    for team in sorted(state.teams.keys() | index(state).by_team.keys()):
        kept.team(state, team, {})  # as a rebuild leaves it
    rows = sqlite_utils.Database(memory=True)
    ensure_tables(rows)  # no stored rows: the pairs a match left are known from State.prior
    counted, kept_made, kept_updated = Counted(monkeypatch), 0, 0
    state.prior, state.touched = {}, set()
    for n, env in enumerate(envelopes[start:], 1):
        fold(state, env)
        if n % step and n != len(envelopes) - start and type(env.event) is not GoalScored:
            continue  # a goal ends a step: what its match gave may be taken out in the next
        _, _, teams, pairs = readmodels_module.affected(rows, state, dirty_of(state.touched))
        for team in sorted(teams):
            if team not in state.teams and team not in index(state).by_team:
                kept.forget(team)
                continue
            made, updated = counted.made, counted.updated
            tables = kept.team(state, team, pairs)
            kept_made += counted.made - made
            kept_updated += counted.updated - updated
            anew = Book()
            expected = anew.team(state, team, {})
            assert stored(kept.pieces[team]) == stored(anew.pieces[team]), (team, env.position)
            assert (tables.overall, tables.streaks) == (expected.overall, expected.streaks)
            assert kept.players[team] == anew.players[team]
        state.prior, state.touched = {}, set()
    known = state.teams.keys() | index(state).by_team.keys()
    assert kept.pieces.keys() <= known
    for team in sorted(known):  # those it was not asked about too: none has a stale piece
        anew = Book()
        anew.team(state, team, {})
        assert stored(kept.pieces.get(team, {})) == stored(anew.pieces[team]), team
    assert kept_updated > kept_made  # what changed was mostly the matches of a piece held


@pytest.mark.parametrize("once", [False, True])
@pytest.mark.parametrize("limit", [0, PRIOR_LIMIT])
def test_catching_up_after_every_twist_equals_a_rebuild(
    twisted: Ledger, once: bool, limit: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Caught up after each event, by one follower or a new process each time, the read
    models hold a rebuild's rows, byte for byte; also when a catch-up changes more matches
    than ``State.prior`` keeps (``limit``), and the pieces are all made anew."""
    monkeypatch.setattr(matchledger.projections.state, "PRIOR_LIMIT", limit)
    drop_read_models(twisted)
    Projector(twisted).rebuild()
    expected = dump(twisted)
    drop_read_models(twisted)
    log = Upto(twisted, 150)
    follower = Projector(log, snapshot_every=20)
    follower.rebuild()
    counted = Counted(monkeypatch)
    for upto in range(151, twisted.head() + 1):
        log.upto = upto
        projector = Projector(log, snapshot_every=20, once=True) if once else follower
        assert projector.catch_up() == upto
    assert dump(twisted) == expected
    assert counted.updated > 0 if limit else counted.updated == 0

"""The store's contract: ordering, concurrency, idempotency, atomicity, tamper evidence."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import attrs
import pytest

import matchledger.ledger.eventstore as eventstore
from matchledger.events import (
    CardShown,
    CompetitionCreated,
    EventRetracted,
    FixtureScheduled,
    GoalKind,
    GoalScored,
    KickOutcome,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    PlayerRegistered,
    ShootoutKick,
    Side,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.catalogue import Card, MatchEnded
from matchledger.ledger import (
    ConcurrencyConflict,
    Draft,
    DuplicateEvent,
    ImportReport,
    InvalidEvent,
    Ledger,
    LedgerError,
    Registry,
    RuleBroken,
    UnknownMatch,
    UnknownTeam,
    export_lines,
    import_lines,
    parse_json,
)
from matchledger.ledger.codec import encode

from conftest import KICKOFF, at, drafts, setup_tie

H1, H2, ET1, ET2, PSO = Period


def count(lg: Ledger) -> int:
    return int(lg.conn.execute("SELECT count(*) FROM events").fetchone()[0])


def test_reads_come_back_in_position_order_with_gapless_versions(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=H1)))
    envs = list(ledger.read())
    assert [e.position for e in envs] == list(range(1, len(envs) + 1))
    assert [e.version for e in ledger.read(stream="match:t1-leg1")] == [0, 1]
    assert [e.type for e in ledger.read(prefix="match:")] == ["MatchStarted", "PeriodStarted"]
    assert [e.type for e in ledger.read(types={"TieDrawn"})] == ["TieDrawn"]
    both = list(ledger.read(streams=["match:t1-leg1", "competition:cup"]))
    assert {e.stream for e in both} == {"match:t1-leg1", "competition:cup"}
    assert [e.position for e in both] == sorted(e.position for e in both)
    assert list(ledger.read(streams=[])) == []
    assert [e.type for e in ledger.read(types={"O'Brien"})] == []  # quoted, not injected
    assert list(ledger.read(types=())) == []


def test_a_match_is_found_in_the_competition_that_scheduled_it(ledger: Ledger) -> None:
    setup_tie(ledger)
    assert ledger.competition_of("t1-leg2") == "cup"
    assert ledger.competition_of("nowhere") is None


def test_a_match_s_fixture_is_the_one_last_scheduled(ledger: Ledger) -> None:
    setup_tie(ledger)
    first = ledger.fixture("t1-leg1")
    assert first is not None and (first.home, first.kickoff) == ("benfica", KICKOFF)
    later = KICKOFF + dt.timedelta(hours=1)
    ledger.append("competition:cup", [attrs.evolve(first, home="Marseille", away="Benfica",
                                                   kickoff=later)])
    assert ledger.fixture("t1-leg1") == attrs.evolve(first, home="marseille", away="benfica",
                                                     kickoff=later)  # as the judge stored it
    assert ledger.fixture("nowhere") is None


def test_the_ids_of_ties_matches_and_competitions_come_from_the_log_by_moment(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    assert ledger.competitions_drawing("T1") == ["cup"]
    assert ledger.competitions_drawing("T9") == []
    _plate_draws_t1(ledger)
    assert ledger.competitions_drawing("T1") == ["cup", "plate"]
    assert ledger.competitions_drawing("T1", as_of=PLATE_DRAW - dt.timedelta(days=1)) == ["cup"]
    assert ledger.competitions_drawing("T1", at_position=ledger.head() - 1) == ["cup"]
    assert ledger.tie_ids() == {"T1", "T2"} and ledger.tie_ids("cup") == {"T1"}
    assert ledger.tie_ids(as_of=PLATE_DRAW - dt.timedelta(days=1)) == {"T1"}
    assert ledger.competition_ids() == {"cup", "plate"}
    assert ledger.competition_ids(as_of=PLATE_DRAW - dt.timedelta(days=1)) == {"cup"}
    assert ledger.has_competition("plate") and not ledger.has_competition("pla")
    assert not ledger.has_competition("plate", as_of=PLATE_DRAW - dt.timedelta(days=1))
    assert ledger.match_ids() == {"t1-leg1", "t1-leg2"} == ledger.match_ids(at_position=6)
    assert ledger.match_ids(at_position=5) == {"t1-leg1"}


PLATE_DRAW = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)


def _plate_draws_t1(lg: Ledger) -> None:
    """A second competition, "plate", drawing its own T1 (and a T2) after the cup's."""
    lg.append("competition:plate", [Draft(event=e, occurred_at=PLATE_DRAW, recorded_at=PLATE_DRAW)
                                     for e in (
        CompetitionCreated(competition="plate", name="Plate", season="2023/24"),
        TieDrawn(round="QF", tie="T2", sides=(Side(team="benfica"), Side(team="marseille"))),
        TieDrawn(round="SF", tie="T1", sides=(Side(winner_of="T2"), Side(team="marseille"))),
    )])


def test_a_ledger_from_before_the_newest_indexes_gets_them_when_opened(tmp_path: Path) -> None:
    with Ledger(tmp_path / "old.db") as lg:
        lg.conn.execute("DROP INDEX events_retracted")
        lg.conn.execute("DROP INDEX events_tie")
    with Ledger(tmp_path / "old.db") as lg:
        plan = lg.conn.execute("EXPLAIN QUERY PLAN SELECT position FROM events WHERE "
                               "position > 0 AND type = 'EventRetracted'").fetchall()
        assert "events_retracted" in str(plan)
        plan = lg.conn.execute("EXPLAIN QUERY PLAN SELECT stream FROM events WHERE type = "
                               "'TieDrawn' AND json_extract(data, '$.tie') = 'T1'").fetchall()
        assert "events_tie" in str(plan)


def test_a_ledger_from_before_the_fixture_team_indexes_gets_them_and_finds_a_teams_fixtures(
        tmp_path: Path) -> None:
    """A team's fixtures are found through the indexes on their home and away sides, with
    every scheduling of a match that ever named the team (a reschedule naming another too)."""
    with Ledger(tmp_path / "old.db") as lg:
        setup_tie(lg)
        lg.conn.execute("DROP INDEX events_home")
        lg.conn.execute("DROP INDEX events_away")
    with Ledger(tmp_path / "old.db") as lg:
        sql, params = lg._select("position", types=("FixtureScheduled",), playing="marseille")
        plan = str(lg.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert "events_home" in plan and "events_away" in plan and "SCAN" not in plan
        fixtures = [e.event for e in lg.read(types=("FixtureScheduled",))
                    if isinstance(e.event, FixtureScheduled)]
        played = {f.match for f in fixtures if "marseille" in (f.home, f.away)}
        assert played
        found = [e.event for e in lg.read(types=("FixtureScheduled",), playing="marseille")]
        assert found == [f for f in fixtures if f.match in played]
        assert list(lg.read(playing="nobody")) == []


def test_the_same_expected_version_twice_conflicts_and_names_both_versions(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted()), expected_version=-1)
    with pytest.raises(ConcurrencyConflict, match="expected version -1, but it is at 0"):
        ledger.append("match:t1-leg1", drafts(PeriodStarted(period=H1)), expected_version=-1)


def test_resending_an_event_returns_its_first_position_and_adds_nothing(ledger: Ledger) -> None:
    setup_tie(ledger)
    batch = drafts(MatchStarted(), PeriodStarted(period=H1))
    first = ledger.append("match:t1-leg1", batch)
    again = ledger.append("match:t1-leg1", batch, expected_version=-1)
    assert [e.position for e in again] == [e.position for e in first]
    assert count(ledger) == first[-1].position


def test_an_event_id_reused_for_other_content_is_refused(ledger: Ledger) -> None:
    setup_tie(ledger)
    (env,) = ledger.append("match:t1-leg1", drafts(MatchStarted()))
    other = Draft(event=PeriodStarted(period=H1), occurred_at=KICKOFF, event_id=env.event_id)
    with pytest.raises(DuplicateEvent):
        ledger.append("match:t1-leg1", [*drafts(PeriodStarted(period=H1)), other])


def test_a_resend_is_the_stored_event_again_however_its_names_are_spelt(ledger: Ledger
                                                                         ) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=H1)))
    goal = GoalScored(team="marseille", player="Amine Harit", minute=11)
    (env,) = ledger.append("match:t1-leg1", [Draft(event=goal, occurred_at=KICKOFF)])
    same = Draft(event=attrs.evolve(goal, team="Olympique Marseille"), occurred_at=KICKOFF,
                 event_id=env.event_id)
    assert ledger.append("match:t1-leg1", [same]) == [env]
    before = count(ledger), ledger.verify().head_hash
    for changed in (attrs.evolve(goal, minute=12), attrs.evolve(goal, player=None),
                    attrs.evolve(goal, team="benfica"), attrs.evolve(goal, team="Benfika")):
        with pytest.raises(DuplicateEvent, match=f"event {env.event_id} is stored as another "
                                                 "event \\(GoalScored at match:t1-leg1 v2\\)"):
            ledger.append("match:t1-leg1", [Draft(event=changed, occurred_at=KICKOFF,
                                                  event_id=env.event_id)])
        line = json.dumps({"stream": "match:t1-leg1", "type": "GoalScored",
                           "event_id": env.event_id, "occurred_at": KICKOFF.isoformat(),
                           "data": encode(changed)[2]})
        with pytest.raises(DuplicateEvent, match="line 1: event .* is stored as another"):
            import_lines(ledger, [line])
    assert (count(ledger), ledger.verify().head_hash) == before


def test_a_first_leg_retraction_that_the_second_legs_play_contradicts_is_refused(
        ledger: Ledger) -> None:
    """Benfica 1-0, then Marseille 1-0 and a shoot-out: without the first leg's goal the
    second leg would have had no extra time, so that goal cannot go while the second leg's
    extra time stands (until the second leg is played, it can)."""
    _shootout_decided(ledger)
    (goal,) = [e for e in ledger.read(stream=LEG1) if isinstance(e.event, GoalScored)]
    before = count(ledger), ledger.verify().head_hash
    with pytest.raises(RuleBroken, match="would leave the second leg t1-leg2 invalid .*ET1 "
                                         "only when the tie is level"):
        ledger.append(LEG1, drafts(EventRetracted(event=goal.event_id, reason="wrong match")))
    assert (count(ledger), ledger.verify().head_hash) == before
    (end,) = [e for e in ledger.read(stream=LEG1) if isinstance(e.event, MatchEnded)]
    with Ledger(ledger.path) as another:  # one that reads the second leg from the log
        another.append(LEG1, drafts(EventRetracted(event=end.event_id, reason="too soon")))

    fresh = Ledger(ledger.path.with_name("fresh.db"))
    _first_leg_won(fresh)
    (goal,) = [e for e in fresh.read(stream=LEG1) if isinstance(e.event, GoalScored)]
    fresh.append(LEG1, drafts(EventRetracted(event=goal.event_id, reason="wrong match")))
    fresh.close()


def test_nothing_happens_on_the_pitch_before_the_kick_off_another_writer_moved(
        ledger: Ledger) -> None:
    """The kick-off time an append checks against is the standing one, even when another
    process retracted the start and kicked off again later."""
    setup_tie(ledger)
    (start,) = ledger.append(LEG1, drafts(MatchStarted()))
    (goal,) = ledger.append(LEG1, [Draft(event=GoalScored(team="benfica", minute=5),
                                         occurred_at=at(5))])
    with Ledger(ledger.path) as other:
        other.append(LEG1, drafts(EventRetracted(event=goal.event_id, reason="no goal"),
                                  EventRetracted(event=start.event_id, reason="too early"),
                                  start=at(10)))
        other.append(LEG1, drafts(MatchStarted(), start=at(20)))
    with pytest.raises(RuleBroken, match="before the match kicked off at 2024-04-11T19:20:00Z"):
        ledger.append(LEG1, [Draft(event=CardShown(team="benfica", player="Otamendi",
                                                   card=Card.YELLOW, minute=12),
                                   occurred_at=at(12))])
    ledger.append(LEG1, [Draft(event=CardShown(team="benfica", player="Otamendi",
                                               card=Card.YELLOW, minute=22),
                               occurred_at=at(22))])


def test_a_retraction_names_an_event_that_stands(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1)))
    (goal,) = ledger.append(LEG1, drafts(GoalScored(team="benfica", minute=5), start=at(5)))
    (undo,) = ledger.append(LEG1, drafts(EventRetracted(event=goal.event_id, reason="no"),
                                         start=at(6)))
    with pytest.raises(RuleBroken, match=f"event {goal.event_id} is retracted already"):
        ledger.append(LEG1, drafts(EventRetracted(event=goal.event_id, reason="x"), start=at(7)))
    with pytest.raises(RuleBroken, match=f"event {undo.event_id} is a retraction, which stands: "
                                         "to undo it, append the retracted event again"):
        ledger.append(LEG1, drafts(EventRetracted(event=undo.event_id, reason="x"), start=at(7)))
    with pytest.raises(RuleBroken, match="no event nope in this match to retract"):
        ledger.append(LEG1, drafts(EventRetracted(event="nope", reason="x"), start=at(7)))


def test_a_failing_batch_writes_nothing(ledger: Ledger) -> None:
    setup_tie(ledger)
    before = count(ledger)
    with pytest.raises(RuleBroken, match="minute 60 does not fit 1H"):
        ledger.append("match:t1-leg1", drafts(
            MatchStarted(), PeriodStarted(period=H1), GoalScored(team="benfica", minute=60)))
    assert count(ledger) == before
    # and the ledger's own cache forgot the rolled-back kick-off
    ledger.append("match:t1-leg1", drafts(MatchStarted()), expected_version=-1)


def test_a_failing_batch_leaves_no_tie_or_fixture_behind(ledger: Ledger) -> None:
    """The competition's state is folded in place within a transaction: a rolled-back one
    must leave what was committed before untouched."""
    setup_tie(ledger)
    tie = _line("competition:cup", "TieDrawn", {
        "round": "SF", "tie": "S1", "sides": [{"winner_of": "T1"}, {"team": "benfica"}]})
    fixture = _line("competition:cup", "FixtureScheduled", {
        "match": "s1-leg1", "tie": "S1", "leg": 1, "round": "SF", "date": "2024-05-02"})
    bad = _line("competition:cup", "FixtureScheduled", {
        "match": "S1 LEG2", "round": "SF", "date": "2024-05-09"})
    for _ in range(2):  # twice: what the first attempt folded in must be gone
        with pytest.raises(RuleBroken, match="match id 'S1 LEG2'"):
            import_lines(ledger, [tie, fixture, bad])
    with pytest.raises(RuleBroken, match="no tie 'S1'"):
        import_lines(ledger, [fixture])
    with pytest.raises(UnknownMatch):
        ledger.append("match:s1-leg1", drafts(MatchStarted()))
    assert import_lines(ledger, [tie, fixture]).added == 2


def test_the_database_itself_refuses_update_and_delete(ledger: Ledger, db_path: Path) -> None:
    setup_tie(ledger)
    raw = sqlite3.connect(db_path)
    for sql in ("UPDATE events SET data = '{}' WHERE position = 1",
                "DELETE FROM events WHERE position = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(sql)
    raw.close()


def test_editing_a_stored_event_makes_verify_fail_at_exactly_that_position(
        ledger: Ledger, db_path: Path) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(
        MatchStarted(), PeriodStarted(period=H1), GoalScored(team="benfica", minute=10)))
    assert ledger.verify().ok
    goal = next(e.position for e in ledger.read(types={"GoalScored"}))
    raw = sqlite3.connect(db_path)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET data = json_set(data, '$.team', 'marseille') "
                "WHERE position = ?", (goal,))
    raw.commit()
    raw.close()
    report = ledger.verify()
    assert not report.ok and report.first_bad == goal
    assert "hash does not match" in (report.problem or "")


def test_export_then_import_gives_an_identical_ledger(ledger: Ledger, tmp_path: Path) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=H1)))
    out = tmp_path / "log.jsonl"
    with out.open("w") as f:
        export_lines(ledger, f)
    copy = Ledger(tmp_path / "copy.db")
    report = import_lines(copy, out.read_text().splitlines())
    assert report.added == count(ledger)
    columns = "position, event_id, stream, version, data, meta, recorded_at, hash"
    rows = [ledger.conn.execute(f"SELECT {columns} FROM events").fetchall(),
            copy.conn.execute(f"SELECT {columns} FROM events").fetchall()]
    assert rows[0] == rows[1]
    assert import_lines(copy, out.read_text().splitlines()).added == 0


def test_a_ledger_opened_on_a_file_reads_what_it_never_read_before_trusting_it(
        ledger: Ledger, db_path: Path) -> None:
    setup_tie(ledger)
    ledger.close()
    with Ledger(db_path) as reopened:  # its first appends need no team's name
        reopened.append("match:t1-leg1", drafts(MatchStarted()))
        reopened.append("match:t1-leg1", drafts(PeriodStarted(period=H1)))
        (goal,) = reopened.append("match:t1-leg1", drafts(GoalScored(team="Marseille",
                                                                     minute=3)))
        assert goal.event.team == "marseille"  # type: ignore[attr-defined]


def test_a_ledger_reads_again_what_another_writer_changed_before_its_last_append(
        ledger: Ledger, db_path: Path) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=H1),
                                          GoalScored(team="Marseille", minute=3)))
    with Ledger(db_path) as other:
        other.append("competition:cup", drafts(PlayerRegistered(
            team="benfica", name="Ángel Di María", aliases=("Di Maria",))))
        other.append("match:t1-leg1", drafts(GoalScored(team="benfica", minute=4)))
    ledger.append("competition:cup", drafts(TeamRegistered(team="porto", name="FC Porto")))
    # nothing appended by anyone since: what this ledger read in its last append is current,
    # but not the players and the match it read before the other writer's appends
    (goal,) = ledger.append("match:t1-leg1", drafts(GoalScored(team="benfica",
                                                               player="Di Maria", minute=5)))
    assert goal.event.player == "Ángel Di María"  # type: ignore[attr-defined]
    assert goal.version == 4


def test_a_file_of_events_without_ids_imported_twice_adds_nothing(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=H1)))
    goal = json.dumps({"stream": "match:t1-leg1", "type": "GoalScored",
                       "data": {"team": "benfica", "minute": 10},
                       "occurred_at": at(10).isoformat()})
    later = goal.replace('"minute": 10', '"minute": 12')
    assert import_lines(ledger, [goal, goal]).added == 2  # two goals that say the same
    assert import_lines(ledger, [goal, goal]) == ImportReport(added=0, skipped=2)
    assert import_lines(ledger, [goal, goal, later]) == ImportReport(added=1, skipped=2)
    assert import_lines(ledger, [goal, goal, goal]).added == 1
    goals = ledger.conn.execute("SELECT count(*) FROM events WHERE type = 'GoalScored'")
    assert goals.fetchone()[0] == 4


def test_a_v1_goal_in_the_log_reads_back_as_v2(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=H1)))
    old = {"stream": "match:t1-leg1", "type": "GoalScored", "schema_version": 1,
           "data": {"team": "benfica", "player": "Rafa Silva", "minute": "45+2",
                    "penalty": True},
           "occurred_at": "2024-04-11T19:47:00Z"}
    import_lines(ledger, [json.dumps(old)])
    stored = ledger.conn.execute(
        "SELECT schema_version, data FROM events WHERE type = 'GoalScored'").fetchone()
    assert stored[0] == 1 and json.loads(stored[1])["minute"] == "45+2"  # never rewritten
    (env,) = ledger.read(types={"GoalScored"})
    assert env.event == GoalScored(team="benfica", player="Rafa Silva", minute=45, added=2,
                                   kind=GoalKind.PENALTY)


def test_team_aliases_resolve_to_one_team_and_unknown_names_suggest(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append("competition:cup", drafts(TeamRegistered(
        team="marseille", name="Olympique de Marseille", aliases=("OM",))))
    reg = ledger.registry()
    assert {reg.resolve_team(n) for n in ("Marseille", "OM", "Olympique de Marseille (FRA)",
                                          "olympique  marseille")} == {"marseille"}
    assert reg.teams["marseille"].aliases == ("Marseille", "Olympique Marseille", "OM")
    with pytest.raises(UnknownTeam, match="did you mean 'Marseille'"):
        reg.resolve_team("Marsielle")
    with pytest.raises(UnknownTeam, match="did you mean 'Olympique Marseille', 'Olympique de "):
        reg.resolve_team("Olympique")  # a word of longer names: too short for difflib
    many = reg.registered([TeamRegistered(team=f"t{i}", name=f"Team {i}") for i in range(9)])
    with pytest.raises(UnknownTeam, match="known teams: benfica, marseille, t0, .* and 3 more$"):
        many.resolve_team("Zzz")


def test_names_in_other_scripts_are_matched_and_never_merged() -> None:
    reg = Registry().register_team("cska", "ЦСКА Москва", ("CSKA Moscow",))
    reg = reg.register_team("spartak", "Спартак Москва")  # not a second spelling of CSKA
    reg = reg.register_team("olympiacos", "Ολυμπιακός")
    reg = reg.registered([PlayerRegistered(team="cska", name="Игорь Акинфеев",
                                           aliases=("Акинфеев",)),
                          PlayerRegistered(team="cska", name="Фёдор Чалов")])
    assert [reg.resolve_team(n) for n in ("спартак москва", "ЦСКА  МОСКВА", "ΟΛΥΜΠΙΑΚΟΣ")] == [
        "spartak", "cska", "olympiacos"]
    assert reg.resolve_player("cska", "АКИНФЕЕВ") == "Игорь Акинфеев"
    assert reg.resolve_player("cska", "Фёдор Чалов") == "Фёдор Чалов"
    assert reg.resolve_player("cska", "Марио Фернандес") == "Марио Фернандес"  # not registered


# --- bad input: each its own clear error, the ledger unchanged ---------------------------


def _live_second_half(lg: Ledger) -> None:
    setup_tie(lg)
    lg.append("match:t1-leg1", drafts(
        MatchStarted(), PeriodStarted(period=H1),
        CardShown(team="benfica", player="Nicolas Otamendi", card=Card.RED, minute=30),
        PeriodEnded(period=H1), PeriodStarted(period=H2)))


def _first_leg_won(lg: Ledger) -> None:
    """Benfica 1-0 Marseille in the first leg; the second to come."""
    setup_tie(lg)
    lg.append("match:t1-leg1", drafts(
        MatchStarted(), PeriodStarted(period=H1), GoalScored(team="benfica", minute=10),
        PeriodEnded(period=H1), PeriodStarted(period=H2), PeriodEnded(period=H2),
        MatchEnded()))


def _second_leg(lg: Ledger, *leg2: object) -> None:
    _first_leg_won(lg)
    lg.append("match:t1-leg2", drafts(*leg2, start=KICKOFF + dt.timedelta(days=7)))  # type: ignore[arg-type]


def _not_level(lg: Ledger) -> None:
    _second_leg(lg, MatchStarted(), PeriodStarted(period=H1),
                GoalScored(team="marseille", minute=20), GoalScored(team="marseille", minute=30),
                PeriodEnded(period=H1), PeriodStarted(period=H2))


def _shootout_decided(lg: Ledger) -> None:
    kicks = []
    for benfica, marseille in (("missed", "scored"), ("scored", "scored"),
                               ("saved", "scored"), ("scored", "scored")):
        kicks += [ShootoutKick(team="benfica", outcome=KickOutcome(benfica)),
                  ShootoutKick(team="marseille", outcome=KickOutcome(marseille))]
    _second_leg(lg, MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                PeriodStarted(period=H2), GoalScored(team="marseille", minute=79),
                PeriodEnded(period=H2), PeriodStarted(period=ET1), PeriodEnded(period=ET1),
                PeriodStarted(period=ET2), PeriodEnded(period=ET2), PeriodStarted(period=PSO),
                *kicks)


def _line(stream: str, type_name: str, data: object) -> str:
    return json.dumps({"stream": stream, "type": type_name, "data": data,
                       "occurred_at": at(80).isoformat()})


LEG1, LEG2 = "match:t1-leg1", "match:t1-leg2"
BAD_INPUTS: list[tuple[str, Callable[[Ledger], None], str, type[LedgerError], str]] = [
    ("malformed json", _live_second_half, '{"stream": "match:t1-leg1", "type": ',
     InvalidEvent, "malformed JSON"),
    ("unknown type", _live_second_half, _line(LEG1, "GoalScord", {"team": "benfica"}),
     InvalidEvent, "unknown event type 'GoalScord'"),
    ("missing field", _live_second_half, _line(LEG1, "GoalScored", {"minute": 50}),
     InvalidEvent, "required field missing @ $.team"),
    ("wrong field type", _live_second_half,
     _line(LEG1, "GoalScored", {"team": "benfica", "minute": "fifty"}),
     InvalidEvent, "@ $.minute"),
    ("a minute given as true", _live_second_half,  # cattrs alone would store 1, as true
     _line(LEG1, "GoalScored", {"team": "benfica", "minute": True}),
     InvalidEvent, "expected int | None @ $.minute"),
    ("a minute with a fraction", _live_second_half,
     _line(LEG1, "GoalScored", {"team": "benfica", "minute": 50.7}),
     InvalidEvent, "expected int | None @ $.minute"),
    ("a team given as a number", _live_second_half, _line(LEG1, "GoalScored", {"team": 7}),
     InvalidEvent, "expected str @ $.team"),
    ("a rule given as a string", lambda lg: None,
     _line("competition:old", "CompetitionCreated",
           {"competition": "old", "name": "Old", "season": "1990",
            "rules": {"away_goals": "false"}}),
     InvalidEvent, "expected bool @ $.rules.away_goals"),
    ("a goal timed before the kick-off", _live_second_half,
     json.dumps({"stream": LEG1, "type": "GoalScored", "data": {"team": "benfica", "minute": 50},
                 "occurred_at": at(-240).isoformat()}),
     RuleBroken, "GoalScored refused: it occurred at 2024-04-11T15:00:00Z, before the match "
                 "kicked off at 2024-04-11T19:00:00Z"),
    ("an offset past a day", _live_second_half,
     json.dumps({"stream": LEG1, "type": "GoalScored", "data": {"team": "benfica"},
                 "occurred_at": "2024-04-11T21:00:00+25:00"}),
     InvalidEvent, "occurred_at: '2024-04-11T21:00:00+25:00' is not an ISO 8601 time: its UTC "
                   "offset is past ±24:00"),
    ("added time below none", _live_second_half,
     _line(LEG1, "GoalScored", {"team": "benfica", "minute": 90, "added": -2}),
     RuleBroken, "added time -2 is less than none"),
    ("unknown team", _live_second_half, _line(LEG1, "GoalScored", {"team": "Benfika"}),
     UnknownTeam, "unknown team 'Benfika'; did you mean 'Benfica'?"),
    ("unknown match", _live_second_half, _line("match:t9-leg1", "GoalScored",
                                               {"team": "benfica"}),
     UnknownMatch, "unknown match 't9-leg1'"),
    ("goal before kick-off", _live_second_half, _line(LEG2, "GoalScored", {"team": "benfica"}),
     RuleBroken, "goal before kick-off"),
    ("minute 130 in the second half", _live_second_half,
     _line(LEG1, "GoalScored", {"team": "benfica", "minute": 130}),
     RuleBroken, "minute 130 does not fit 2H (46-90)"),
    ("kick when the tie is not level", _not_level,
     _line(LEG2, "ShootoutKick", {"team": "benfica", "outcome": "scored"}),
     RuleBroken, "no shoot-out: the tie is not level"),
    ("kick after the shoot-out is decided", _shootout_decided,
     _line(LEG2, "ShootoutKick", {"team": "benfica", "outcome": "scored"}),
     RuleBroken, "the shoot-out is already decided"),
    ("an event from the future", _live_second_half,
     json.dumps({"stream": LEG1, "type": "GoalScored", "data": {"team": "benfica"},
                 "occurred_at": "2199-01-01T00:00:00Z"}),
     InvalidEvent, "occurred_at 2199-01-01T00:00:00Z is after it was recorded"),
    ("penalties in a first leg", lambda lg: setup_tie(lg),
     _line(LEG1, "ResultReported", {"full_time": [1, 1], "penalties": [4, 3]}),
     RuleBroken, "extra time or penalties, but this match decides no tie"),
    ("extra time after a second leg that settled the tie", _first_leg_won,
     _line(LEG2, "ResultReported", {"full_time": [2, 0], "extra_time": [2, 1]}),
     RuleBroken, "extra time, but the tie was not level after 2-0"),
    ("penalties after a level second leg won in extra time", _first_leg_won,
     _line(LEG2, "ResultReported", {"full_time": [1, 0], "extra_time": [2, 0],
                                    "penalties": [5, 4]}),
     RuleBroken, "penalties, but the tie was not level after 2-0"),
    ("a shoot-out past where it stops", lambda lg: setup_tie(lg, legs=1),
     _line(LEG1, "ResultReported", {"full_time": [1, 1], "extra_time": [1, 1],
                                    "penalties": [4, 0]}),
     RuleBroken, "a shoot-out cannot end 4-0: it stops as soon as one side cannot catch up"),
    ("a sudden death won by two", lambda lg: setup_tie(lg, legs=1),
     _line(LEG1, "ResultReported", {"full_time": [1, 1], "extra_time": [1, 1],
                                    "penalties": [9, 7]}),
     RuleBroken, "a shoot-out cannot end 9-7"),
    ("extra time where level ties have none", lambda lg: setup_tie(
        lg, legs=1, rules=TieRules(extra_time=False)),
     _line(LEG1, "ResultReported", {"full_time": [1, 1], "extra_time": [2, 1]}),
     RuleBroken, "extra time, but this competition's level ties have none"),
    ("penalties where level ties have none", lambda lg: setup_tie(
        lg, legs=1, rules=TieRules(penalties=False)),
     _line(LEG1, "ResultReported", {"full_time": [1, 1], "extra_time": [1, 1],
                                    "penalties": [4, 3]}),
     RuleBroken, "penalties, but this competition's level ties have none"),
    ("a blank name booked", _live_second_half,
     _line(LEG1, "CardShown", {"team": "benfica", "player": " ", "card": "yellow",
                               "minute": 60}),
     RuleBroken, "name ' ' has no letters or digits"),
    ("a player registered as punctuation", _live_second_half,
     _line("competition:cup", "PlayerRegistered", {"team": "benfica", "name": "Rafa Silva",
                                                   "aliases": ["?"]}),
     RuleBroken, "name '?' has no letters or digits"),
    ("a goal with no minute in a shoot-out", _shootout_decided,
     _line(LEG2, "GoalScored", {"team": "marseille"}),
     RuleBroken, "goal in a shoot-out: record a kick instead"),
    ("red-carded player scoring", _live_second_half,
     _line(LEG1, "GoalScored", {"team": "benfica", "player": "Nicolas Otamendi", "minute": 60}),
     RuleBroken, "Nicolas Otamendi (benfica) was sent off and cannot score"),
]


@pytest.mark.parametrize(("build", "line", "error", "message"),
                         [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_its_own_error_and_leaves_the_ledger_unchanged(
        ledger: Ledger, build: Callable[[Ledger], None], line: str, error: type[LedgerError],
        message: str) -> None:
    build(ledger)
    before = count(ledger), ledger.verify().head_hash
    with pytest.raises(error) as raised:
        stream, draft = parse_json(line)
        ledger.append(stream, [draft])
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert (count(ledger), ledger.verify().head_hash) == before
    valid = _line("competition:cup", "TeamRegistered", {"team": "porto", "name": "FC Porto"})
    with pytest.raises(error, match=r"line 2: "):  # the same through import, all or nothing
        import_lines(ledger, [valid, line])
    assert (count(ledger), ledger.verify().head_hash) == before


def import_seed(lg: Ledger) -> None:
    """The bundled seed: the Europa League quarter-finals, 142 events."""
    seed = Path(str(resources.files("matchledger.events") / "seed.jsonl"))
    import_lines(lg, seed.read_text(encoding="utf-8").splitlines())


def test_stats_count_the_log_as_reading_it_does(db_path: Path) -> None:
    lg = Ledger(db_path)
    assert lg.stats()["events"] == 0 and lg.stats()["first_occurred_at"] is None
    import_seed(lg)
    envelopes = list(lg.read())
    stats = lg.stats()
    types = Counter(e.type for e in envelopes)
    assert list(stats["types"].items()) == sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
    streams = {e.stream for e in envelopes}
    assert stats["streams"] == dict(Counter(s.partition(":")[0] for s in sorted(streams)))
    assert (stats["events"], stats["stream_count"]) == (len(envelopes), len(streams))
    assert (stats["first_position"], stats["last_position"]) == (1, len(envelopes))
    occurred = sorted(e.occurred_at for e in envelopes)
    recorded = sorted(e.recorded_at for e in envelopes)
    assert [stats[k] for k in ("first_occurred_at", "last_occurred_at", "first_recorded_at",
                               "last_recorded_at")] == [
        t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        for t in (occurred[0], occurred[-1], recorded[0], recorded[-1])]
    assert stats["head_hash"] == lg.verify().head_hash
    with lg.transaction(write=False):  # a read inside a caller's transaction
        assert lg.stats() == stats and lg.verify().ok
    lg.close()


def test_verify_reports_its_progress(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lg = Ledger(db_path)
    import_seed(lg)
    monkeypatch.setattr(eventstore, "VERIFY_STEP", 50)
    seen: list[tuple[int, int]] = []
    report = lg.verify(progress=lambda done, head: seen.append((done, head)))
    assert report.ok and report.events == 142
    assert seen == [(50, 142), (100, 142)]
    lg.close()


def test_export_writes_each_envelope_as_one_compact_json_line(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append("match:t1-leg1", drafts(MatchStarted(), PeriodStarted(period=H1)))
    ledger.append("match:t1-leg1", [Draft(
        event=GoalScored(team="benfica", player="Ángel Di María", minute=3),
        occurred_at=at(3), meta={"source": "Ré \"quoted\""})])
    out = io.StringIO()
    assert export_lines(ledger, out) == count(ledger)
    stored = ledger.conn.execute("SELECT data, meta FROM events ORDER BY position").fetchall()
    lines = out.getvalue().splitlines()
    assert len(lines) == len(stored)
    for line, (data, meta) in zip(lines, stored, strict=True):
        envelope = json.loads(line)
        assert line == json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
        assert (envelope["data"], envelope["meta"]) == (json.loads(data),
                                                        json.loads(meta) if meta else {})
    assert json.loads(lines[-1])["data"]["player"] == "Ángel Di María"


@pytest.mark.parametrize(("rules", "problem"), [
    (TieRules(away_goals_in_extra_time=True), "away goals in extra time need the away-goals"),
    (TieRules(points_for_win=0), "a win is worth 1 point or more, not 0"),
])
def test_a_competition_s_rules_must_make_sense(ledger: Ledger, rules: TieRules,
                                              problem: str) -> None:
    with pytest.raises(RuleBroken, match=problem):
        ledger.append("competition:cup", [CompetitionCreated(
            competition="cup", name="Cup", season="2024", rules=rules)])
    assert ledger.head() == 0


def test_a_new_process_reads_the_stored_registry_and_the_registrations_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The registry an append had to read from many registrations is stored with the write,
    and a new ledger object starts from it; one whose event hash or JSON does not check out is
    not used."""
    import matchledger.ledger.validate as validate

    path = tmp_path / "reg.db"
    with Ledger(path) as lg:
        setup_tie(lg)
    monkeypatch.setattr(validate, "REGISTRY_STORED_AFTER", 2)
    with Ledger(path) as lg:
        lg.append("match:t1-leg1", drafts(MatchStarted(), start=KICKOFF))
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT position FROM ledger_registry").fetchall()
    assert stored and stored[0][0] > 0
    with Ledger(path) as lg:
        lg.append("competition:cup", drafts(TeamRegistered(team="roma", name="AS Roma"),
                                            start=KICKOFF))
        from_log = Registry().registered(
            [e.event for e in lg.read(types=("TeamRegistered", "PlayerRegistered"))],
            [e.stream_id for e in lg.read(types=("TeamRegistered", "PlayerRegistered"))])
    with Ledger(path) as lg:
        assert lg.registry() == from_log
        assert lg.resolve_team("Roma") == "roma" and lg.resolve_team("Marseille") == "marseille"
    assert validate.stored_registry(conn) is not None
    for tampered in ("UPDATE ledger_registry SET registry = '{\"teams\": 1}'",
                     "UPDATE ledger_registry SET hash = x'00'"):
        conn.execute(tampered)
        conn.commit()
        assert validate.stored_registry(conn) is None
        with Ledger(path) as lg:
            assert lg.registry() == from_log
    conn.close()

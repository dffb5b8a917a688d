"""StatsBomb event data through kloppy: kloppy's own sample matches (every goal, card and
substitution checked against the file's events, counted here from the JSON), a made-up final
level after extra time and decided on penalties, and the refusals (one line, ledger unchanged).

The made-up files are written by ``_final`` below, in StatsBomb's open-data format (events,
line-ups, match records); kloppy ships no shoot-out.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from clirun import head_hash, refused, run, run_json

from matchledger.cli.sources import format_of_text
from matchledger.ledger.sources import read_statsbomb

kloppy = pytest.importorskip("kloppy", reason="the 'events' extra (kloppy) is not installed: "
                             "pip install -e '.[events]'")
KLOPPY_FILES = Path(kloppy.__file__).parent / "tests" / "files"
DATA = Path(__file__).parent / "data"
SAMPLES = [("statsbomb_event.json", "statsbomb_lineup.json"),
           ("statsbomb_15986_event.json", "statsbomb_15986_lineup.json"),
           ("statsbomb_3788741_event.json", "statsbomb_3788741_lineup.json")]
CARD_IDS = {7: "yellow", 6: "second_yellow", 5: "red"}  # StatsBomb's card ids


def _log(db: Path, *args: str) -> list[dict[str, Any]]:
    """``log --json`` (JSON Lines) as a list."""
    out = run("log", *args, "--json", db=db).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# --- kloppy's samples ------------------------------------------------------------------------


def _record(events: list[dict[str, Any]], **fields: Any) -> list[dict[str, Any]]:
    """A match record for a sample (kloppy ships none): its teams in the order of their
    Starting XI events (home first), a made-up date."""
    teams = [e["team"] for e in events if e["type"]["name"] == "Starting XI"]
    record = {"match_id": 1, "match_date": "2020-01-01", "kick_off": "20:00:00.000",
              "competition": {"competition_id": 1, "competition_name": "Sample League"},
              "season": {"season_id": 1, "season_name": "2019/2020"},
              "home_team": {"home_team_id": teams[0]["id"], "home_team_name": teams[0]["name"]},
              "away_team": {"away_team_id": teams[1]["id"], "away_team_name": teams[1]["name"]},
              "competition_stage": {"id": 1, "name": "Regular Season"}}
    return [record | fields]


def _counted(events: list[dict[str, Any]]) -> dict[str, Counter[tuple[Any, ...]]]:
    """Goals, cards and substitutions as the raw StatsBomb JSON has them, by team name."""
    goals: Counter[tuple[Any, ...]] = Counter()
    cards: Counter[tuple[Any, ...]] = Counter()
    subs: Counter[tuple[Any, ...]] = Counter()
    for e in events:
        kind, team = e["type"]["name"], e["team"]["name"]
        if e["period"] == 5:
            continue
        if kind == "Shot" and e["shot"]["outcome"]["name"] == "Goal":
            goals[(team, e["player"]["name"], "penalty" if e["shot"]["type"]["name"] ==
                   "Penalty" else "open_play")] += 1
        elif kind == "Own Goal Against":
            goals[(team, e["player"]["name"], "own_goal")] += 1
        for key in ("foul_committed", "bad_behaviour"):
            card = e.get(key, {}).get("card")
            if card:
                cards[(team, e["player"]["name"], CARD_IDS[card["id"]])] += 1
        if kind == "Substitution":
            subs[(team, e["player"]["name"], e["substitution"]["replacement"]["name"])] += 1
    return {"goals": goals, "cards": cards, "subs": subs}


@pytest.mark.parametrize(("events_file", "lineup_file"), SAMPLES)
def test_kloppys_samples_give_every_goal_card_and_substitution(
        tmp_path: Path, events_file: str, lineup_file: str) -> None:
    events = json.loads((KLOPPY_FILES / events_file).read_text(encoding="utf-8"))
    record = tmp_path / "matches.json"
    record.write_text(json.dumps(_record(events)), encoding="utf-8")
    db = tmp_path / "l.db"
    run("import", KLOPPY_FILES / events_file, KLOPPY_FILES / lineup_file, record, db=db)
    (fixture,) = [e for e in _log(db, "--type", "FixtureScheduled")]
    match = fixture["data"]["match"]
    score = run_json("score", match, db=db)
    expected = _counted(events)
    raw_ids = {e["id"] for e in events}
    log = _log(db, "--match", match)
    teams = {e["data"]["team"]: e for e in _log(db, "--type", "TeamRegistered")}
    name_of = {team: e["data"]["name"] for team, e in teams.items()}
    got: dict[str, Counter[tuple[Any, ...]]] = {"goals": Counter(), "cards": Counter(),
                                                 "subs": Counter()}
    for e in log:
        d = e["data"]
        if e["type"] == "GoalScored":
            got["goals"][(name_of[d["team"]], d["player"], d.get("kind", "open_play"))] += 1
        elif e["type"] == "CardShown":
            got["cards"][(name_of[d["team"]], d["player"], d["card"])] += 1
        elif e["type"] == "SubstitutionMade":
            got["subs"][(name_of[d["team"]], d["player_off"], d["player_on"])] += 1
        if e["type"] in ("GoalScored", "CardShown", "SubstitutionMade"):
            assert e["meta"]["provider_id"] in raw_ids
    assert got == expected
    # the score counts an own goal once, for the other side
    home, away = fixture["data"]["home"], fixture["data"]["away"]
    tally = [0, 0]
    for (team, _, kind), n in expected["goals"].items():
        side = [name_of[home], name_of[away]].index(team)
        tally[1 - side if kind == "own_goal" else side] += n
    assert score["score"] == tally
    # importing the same files again adds nothing
    before = head_hash(db)
    again = run("import", KLOPPY_FILES / events_file, KLOPPY_FILES / lineup_file, record,
                "--json", db=db)
    assert json.loads(again.stdout)["added"] == 0
    assert head_hash(db) == before


def test_the_line_up_and_match_record_are_found_beside_the_events(tmp_path: Path) -> None:
    events = json.loads((KLOPPY_FILES / "statsbomb_3788741_event.json").read_text("utf-8"))
    (tmp_path / "events").mkdir()
    (tmp_path / "lineups").mkdir()
    (tmp_path / "matches" / "55").mkdir(parents=True)
    (tmp_path / "events" / "3788741.json").write_text(json.dumps(events), "utf-8")
    (tmp_path / "lineups" / "3788741.json").write_bytes(
        (KLOPPY_FILES / "statsbomb_3788741_lineup.json").read_bytes())
    (tmp_path / "matches" / "55" / "43.json").write_bytes(
        (DATA / "statsbomb_euro2020_matches.json").read_bytes())
    parsed = read_statsbomb([tmp_path / "events" / "3788741.json"])
    (match,) = parsed.matches
    assert (parsed.name, parsed.season) == ("UEFA Euro", "2020")
    assert (match.team1, match.team2, str(match.date)) == ("Turkey", "Italy", "2021-06-11")
    assert match.result is not None and match.result.final == (0, 3)


def test_kloppys_naming_finds_the_line_up_and_the_match_record(tmp_path: Path) -> None:
    for name in ("statsbomb_3788741_event.json", "statsbomb_3788741_lineup.json"):
        (tmp_path / name).write_bytes((KLOPPY_FILES / name).read_bytes())
    (tmp_path / "statsbomb_3788741_match.json").write_bytes(
        (DATA / "statsbomb_euro2020_matches.json").read_bytes())
    (match,) = read_statsbomb([tmp_path / "statsbomb_3788741_event.json"]).matches
    assert match.provider_match == "3788741"


def test_the_library_imports_an_events_file_with_its_companions(
        tmp_path: Path) -> None:
    from matchledger.ledger import Ledger
    from matchledger.ledger.sources import import_source

    events, _, _ = _Final().write(tmp_path / "open-data")
    with Ledger(tmp_path / "l.db") as lg:
        summary = import_source(lg, events, timezone="UTC+2")
        assert (summary.competition, summary.goals, summary.cards) == ("test-cup-2024", 4, 2)
        assert import_source(lg, events, timezone="UTC+2").added == 0


def test_the_format_is_told_by_content() -> None:
    assert format_of_text("[\n  {\n", "x.json") == "statsbomb"
    assert format_of_text('[{"id": "a"}]', "x") == "statsbomb"


# --- a made-up final: extra time, penalties, an own goal, a second yellow, a substitute -------


ALPHA = [(100 + n, f"Alpha Player {n}") for n in range(1, 14)]  # 12 and 13 on the bench
BETA = [(200 + n, f"Beta Player {n}") for n in range(1, 14)]
TEAMS = {"Alpha": (1, ALPHA), "Beta": (2, BETA)}


class _Final:
    """StatsBomb events of Alpha v Beta, the Test Cup 2024 final: Alpha 1-0 up by an own goal
    (10'), a yellow for Alpha Player 5 (30'), Beta's substitute Beta Player 12 on at half time
    and scoring (65'), Alpha Player 5 sent off by a second yellow (80'), 1-1 after 90 minutes,
    Alpha ahead from the penalty spot in extra time (98') and Beta level again (116'), 2-2,
    Alpha through 5-4 on penalties: a saved kick, one off target, one on the post, sudden death
    in the sixth round."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        for team, (_, players) in TEAMS.items():
            self.add(1, "00:00:00.000", "Starting XI", team, tactics={
                "formation": 442, "lineup": [
                    {"player": {"id": i, "name": n}, "position": {"id": k + 1, "name": "X"},
                     "jersey_number": k + 1} for k, (i, n) in enumerate(players[:11])]})
        ends = {1: "00:46:30.000", 2: "00:48:00.000", 3: "00:15:30.000", 4: "00:16:00.000",
                5: "00:12:00.000"}
        for period in range(1, 6):
            for team in TEAMS:
                self.add(period, "00:00:00.000", "Half Start", team)
        self.add(1, "00:09:40.000", "Own Goal Against", "Beta", player=4)
        self.add(1, "00:09:40.000", "Own Goal For", "Alpha")
        self.add(1, "00:29:10.000", "Foul Committed", "Alpha", player=5,
                 foul_committed={"card": {"id": 7, "name": "Yellow Card"}})
        self.add(2, "00:00:00.000", "Substitution", "Beta", player=9,
                 substitution={"outcome": {"id": 103, "name": "Tactical"},
                               "replacement": {"id": 212, "name": "Beta Player 12"}})
        self.shot(2, "00:19:05.000", "Beta", 12, 97, "Goal")
        self.shot(3, "00:07:20.000", "Alpha", 9, 97, "Goal", penalty=True)
        self.shot(4, "00:10:02.000", "Beta", 12, 97, "Goal")
        self.add(2, "00:34:50.000", "Foul Committed", "Alpha", player=5,
                 foul_committed={"card": {"id": 6, "name": "Second Yellow"}})
        kicks = [("Alpha", 9, 97, "Goal"), ("Beta", 10, 100, "Saved"),
                 ("Alpha", 10, 97, "Goal"), ("Beta", 11, 97, "Goal"),
                 ("Alpha", 11, 98, "Off T"), ("Beta", 2, 97, "Goal"),
                 ("Alpha", 7, 97, "Goal"), ("Beta", 3, 97, "Goal"),
                 ("Alpha", 8, 97, "Goal"), ("Beta", 7, 97, "Goal"),
                 ("Alpha", 6, 97, "Goal"), ("Beta", 6, 99, "Post")]
        for n, (team, player, outcome, name) in enumerate(kicks):
            self.shot(5, f"00:{n:02d}:30.000", team, player, outcome, name, penalty=True)
        for period, end in ends.items():
            for team in TEAMS:
                self.add(period, end, "Half End", team)
        order = {"Starting XI": 0, "Half Start": 1, "Half End": 3}
        self.events.sort(key=lambda e: (e["period"], order.get(e["type"]["name"], 2),
                                        e["timestamp"]))
        for n, e in enumerate(self.events):
            e["index"] = n + 1

    def add(self, period: int, timestamp: str, kind: str, team: str,
            player: int | None = None, **more: Any) -> dict[str, Any]:
        ident, players = TEAMS[team]
        types = {"Starting XI": 35, "Half Start": 18, "Half End": 34, "Shot": 16,
                 "Own Goal Against": 20, "Own Goal For": 25, "Foul Committed": 22,
                 "Substitution": 19}
        minutes, seconds = int(timestamp[3:5]), int(timestamp[6:8])
        base = {1: 0, 2: 45, 3: 90, 4: 105, 5: 120}[period]
        event: dict[str, Any] = {
            "id": f"00000000-0000-4000-8000-{len(self.events):012d}", "index": 0,
            "period": period, "timestamp": timestamp, "minute": base + minutes,
            "second": seconds, "type": {"id": types[kind], "name": kind},
            "possession": 1, "possession_team": {"id": ident, "name": team},
            "play_pattern": {"id": 1, "name": "Regular Play"},
            "team": {"id": ident, "name": team}, "duration": 0.0, **more}
        if player is not None:
            event["player"] = {"id": ident * 100 + player, "name": f"{team} Player {player}"}
            event["position"] = {"id": 1, "name": "X"}
            event["location"] = [100.0, 40.0]
        self.events.append(event)
        return event

    def shot(self, period: int, timestamp: str, team: str, player: int, outcome: int,
             name: str, penalty: bool = False) -> None:
        kind = {"id": 88, "name": "Penalty"} if penalty else {"id": 87, "name": "Open Play"}
        self.add(period, timestamp, "Shot", team, player=player, shot={
            "outcome": {"id": outcome, "name": name}, "type": kind,
            "body_part": {"id": 40, "name": "Right Foot"}, "end_location": [120.0, 40.0, 1.0],
            "technique": {"id": 93, "name": "Normal"}, "statsbomb_xg": 0.1})

    @staticmethod
    def lineups() -> list[dict[str, Any]]:
        return [{"team_id": ident, "team_name": team, "lineup": [
                    {"player_id": i, "player_name": n, "player_nickname": None,
                     "jersey_number": k + 1, "country": {"id": 1, "name": "Testland"},
                     "cards": [], "positions": []} for k, (i, n) in enumerate(players)]}
                for team, (ident, players) in TEAMS.items()]

    @staticmethod
    def record(**fields: Any) -> list[dict[str, Any]]:
        return [{"match_id": 9000001, "match_date": "2024-05-26", "kick_off": "18:00:00.000",
                 "competition": {"competition_id": 900, "competition_name": "Test Cup",
                                 "country_name": "Testland"},
                 "season": {"season_id": 900, "season_name": "2024"},
                 "home_team": {"home_team_id": 1, "home_team_name": "Alpha"},
                 "away_team": {"away_team_id": 2, "away_team_name": "Beta"},
                 "home_score": 2, "away_score": 2, "match_status": "available",
                 "competition_stage": {"id": 26, "name": "Final"},
                 "stadium": {"id": 1, "name": "Test Stadium"}} | fields]

    def write(self, folder: Path, events: list[dict[str, Any]] | None = None,
              lineups: list[dict[str, Any]] | None = None,
              record: list[dict[str, Any]] | None = None) -> list[Path]:
        """events/ID.json, lineups/ID.json and matches/900/900.json under ``folder``."""
        paths = [folder / "events" / "9000001.json", folder / "lineups" / "9000001.json",
                 folder / "matches" / "900" / "900.json"]
        for path, value in zip(paths, (events or self.events, lineups or self.lineups(),
                                       record or self.record()), strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value, indent=2), encoding="utf-8")
        return paths


MATCH = "test-cup-2024-f"


@pytest.fixture
def final(tmp_path: Path) -> tuple[Path, Path]:
    """(the ledger, the events file) of the final, imported."""
    events, _, _ = _Final().write(tmp_path / "open-data")
    db = tmp_path / "final.db"
    done = run("import", events, "--timezone", "UTC+2", db=db)
    assert "Test Cup 2024 -> competition test-cup-2024" in done.stderr
    return db, events


def test_a_final_decided_on_penalties_in_sudden_death(final: tuple[Path, Path]) -> None:
    db, _ = final
    score = run_json("score", MATCH, db=db)
    assert score["status"] == "finished"
    assert (score["half_time"], score["full_time"], score["extra_time"]) == (
        [1, 0], [1, 1], [2, 2])
    assert score["penalties"] == [5, 4]
    kicks = [(k["team"], k["taker"], k["outcome"]) for k in score["kicks"]]
    assert len(kicks) == 12 and kicks[1] == ("beta", "Beta Player 10", "saved")
    assert kicks[4] == ("alpha", "Alpha Player 11", "missed")
    assert kicks[-1] == ("beta", "Beta Player 6", "missed")  # the post
    stored = _log(db, "--match", MATCH, "--type", "ShootoutKick")
    assert stored[-1]["meta"]["provider_note"] == "hit the woodwork"
    goals = [(g["team"], g["scorer_team"], g["player"], g["minute"], g["kind"])
             for g in score["goals"]]
    assert goals == [("alpha", "beta", "Beta Player 4", 10, "own_goal"),
                     ("beta", "beta", "Beta Player 12", 65, "open_play"),
                     ("alpha", "alpha", "Alpha Player 9", 98, "penalty"),
                     ("beta", "beta", "Beta Player 12", 116, "open_play")]
    assert score["sent_off"] and "Alpha Player 5" in json.dumps(score["sent_off"])
    assert [c["card"] for c in score["cards"]] == ["yellow", "second_yellow"]
    (sub,) = score["substitutions"]
    assert (sub["player_off"], sub["player_on"], sub["minute"]) == (
        "Beta Player 9", "Beta Player 12", 46)
    shown = run("score", MATCH, db=db).stdout
    assert "penalty shoot-out" in shown and "Alpha 2-2 Beta (a.e.t., 5-4 pens)" in shown


def test_the_final_in_the_bracket_and_the_streaks(final: tuple[Path, Path]) -> None:
    db, _ = final
    bracket = run_json("bracket", "test-cup-2024", db=db)
    (tie,) = bracket["rounds"][0]["ties"]
    assert (tie["winner"], tie["decided_by"]) == ("alpha", "penalties")
    streaks = run_json("streaks", "Alpha", db=db)
    unbeaten = streaks["unbeaten"]["current"]
    assert (unbeaten["length"], unbeaten["draws"]) == (1, 1)  # penalties count as a draw
    assert streaks["winning"]["current"]["length"] == 0


def test_occurred_at_is_kick_off_plus_period_plus_clock(final: tuple[Path, Path]) -> None:
    db, _ = final
    log = {e["type"] + str(e["data"].get("period", "")): e
           for e in _log(db, "--match", MATCH)}
    assert log["MatchStarted"]["occurred_at"] == "2024-05-26T16:00:00Z"
    assert log["PeriodEnded1H"]["occurred_at"] == "2024-05-26T16:46:30Z"
    assert log["PeriodStarted2H"]["occurred_at"] == "2024-05-26T17:01:30Z"  # 15' of half time
    goal = next(e for e in _log(db, "--match", MATCH, "--type", "GoalScored")
                if e["data"].get("kind", "open_play") == "open_play")
    assert goal["occurred_at"] == "2024-05-26T17:20:35Z"


def test_a_match_the_ledger_has_scheduled_goes_into_its_competition_and_tie(
        tmp_path: Path) -> None:
    db = tmp_path / "cup.db"
    run("init", db=db)
    run("append", "competition", "cup-24", "--name", "The Cup", "--season", "2024", db=db)
    run("append", "team", "cup-24", "alpha-fc", "--name", "Alpha FC", "--alias", "Alpha", db=db)
    run("append", "team", "cup-24", "beta-united", "--name", "Beta United", "--alias", "Beta",
        db=db)
    run("append", "tie", "cup-24", "F", "Alpha FC", "Beta United", "--round", "F", "--legs",
        "1", db=db)
    run("append", "fixture", "cup-24", "the-final", "--tie", "F", "--leg", "1", "--home",
        "Alpha", "--away", "Beta", "--kickoff", "2024-05-26T18:00+02:00", db=db)
    events, _, _ = _Final().write(tmp_path / "open-data")
    done = run("import", events, db=db)
    assert "the match is the-final of cup-24" in done.stderr
    bracket = run_json("bracket", "cup-24", db=db)
    (tie,) = bracket["rounds"][0]["ties"]
    assert (tie["winner"], tie["decided_by"]) == ("alpha-fc", "penalties")
    assert {e["stream"] for e in _log(db)} == {"competition:cup-24", "match:the-final"}
    started = next(e for e in _log(db, "--match", "the-final", "--type", "MatchStarted"))
    assert started["occurred_at"] == "2024-05-26T16:00:00Z"  # the fixture's kick-off
    assert json.loads(run("import", events, "--json", db=db).stdout)["added"] == 0


# --- refusals: one line, nothing written -----------------------------------------------------


def _refused_unchanged(db: Path, args: list[Any], message: str) -> None:
    before = head_hash(db) if db.exists() else None
    refused(run("import", *args, db=db, ok=False), message)
    assert (head_hash(db) if db.exists() else None) == before


def test_events_without_a_match_record_are_refused(tmp_path: Path) -> None:
    events, lineups, _ = _Final().write(tmp_path / "x")
    (tmp_path / "x" / "matches" / "900" / "900.json").unlink()
    _refused_unchanged(tmp_path / "l.db", [events, lineups],
                       f"{events}: no match record given or beside it")


def test_a_truncated_file_is_refused(tmp_path: Path, final: tuple[Path, Path]) -> None:
    db, events = final
    cut = tmp_path / "cut" / "events" / "9000001.json"
    cut.parent.mkdir(parents=True)
    cut.write_text(events.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    _refused_unchanged(db, [cut, "--format", "statsbomb"], f"{cut}: not valid JSON (truncated?)")


def test_a_malformed_event_is_refused(tmp_path: Path, final: tuple[Path, Path]) -> None:
    db, _ = final
    game = _Final()
    broken = copy.deepcopy(game.events)
    for e in broken:
        if e["type"]["name"] == "Shot":
            del e["shot"]["outcome"]
    events, lineups, record = game.write(tmp_path / "bad", events=broken)
    _refused_unchanged(db, [events, lineups, record], f"{events}: not StatsBomb event data")


def test_a_line_up_that_does_not_match_the_events_is_refused(
        tmp_path: Path, final: tuple[Path, Path]) -> None:
    db, _ = final
    lineups = _Final.lineups()
    lineups[1]["lineup"] = [p for p in lineups[1]["lineup"] if p["player_id"] != 212]
    events, _, _ = _Final().write(tmp_path / "other", lineups=lineups)
    _refused_unchanged(db, [events], f"{events}: the events do not match the line-ups of")


def test_a_match_record_that_contradicts_the_events_is_refused(tmp_path: Path) -> None:
    events, _, _ = _Final().write(tmp_path / "other", record=_Final.record(home_score=3))
    _refused_unchanged(tmp_path / "new.db", [events],
                       "the events add up to 2-2, the match record says 3-2")


def test_a_file_contradicting_a_result_in_the_ledger_is_refused(
        tmp_path: Path, final: tuple[Path, Path]) -> None:
    db, _ = final
    game = _Final()
    game.events = [e for e in game.events if e["type"]["name"] not in ("Own Goal Against",
                                                                       "Own Goal For")]
    events, _, _ = game.write(tmp_path / "other", record=_Final.record(home_score=1))
    _refused_unchanged(db, [events], str(events))


def test_without_kloppy_the_error_names_the_extra(tmp_path: Path) -> None:
    events, lineups, record = _Final().write(tmp_path / "x")
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "kloppy.py").write_text("raise ImportError('no kloppy here')\n", "utf-8")
    import os
    import subprocess

    from test_cli import SCRIPT, env
    done = subprocess.run([str(SCRIPT), "import", str(events), "--db", str(tmp_path / "l.db")],
                          capture_output=True, text=True, timeout=60,
                          env={**env(), "PYTHONPATH": str(blocker) + os.pathsep
                               + env().get("PYTHONPATH", "")})
    refused(done, "pip install 'matchledger[events]'")
    assert not (tmp_path / "l.db").exists()

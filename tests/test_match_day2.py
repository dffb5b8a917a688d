"""Issue 19, the rest: a forgotten ``--at`` while back-filling, time stated with its zone,
neutral venues, exports with a filter that import cleanly. On the seed data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from matchledger.cli.demo import seed_lines
from matchledger.cli.main import app
from matchledger.ledger import Ledger, import_lines

runner = CliRunner()


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seed") / "seed.db"
    with Ledger(db) as lg:
        import_lines(lg, seed_lines())
    return db


@pytest.fixture
def seed_db(seed_file: Path, tmp_path: Path) -> Path:
    db = tmp_path / "seed.db"
    shutil.copy(seed_file, db)
    return db


def run(db: Path, *args: str, code: int = 0) -> Result:
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == code, result.output
    return result


def positions(db: Path) -> int:
    with Ledger(db, read_only=True) as lg:
        return lg.head()


# --- 6. a forgotten --at while back-filling ----------------------------------------------------

@pytest.mark.parametrize("args", [
    ("whistle", "uel24-sf1-leg1", "kick-off"),  # scheduled for 2 May 2024
    ("goal", "uel24-qf3-leg1", "--team", "Leverkusen", "--player", "Boniface", "--minute", "15"),
    ("result", "uel24-sf1-leg1", "1-1"),
])
def test_an_append_without_at_into_a_match_not_live_now_is_refused(
        seed_db: Path, args: tuple[str, ...]) -> None:
    before = positions(seed_db)
    result = run(seed_db, "append", *args, code=1)
    assert "is not live now" in result.stderr and "--at" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert positions(seed_db) == before


def test_now_insists_and_the_match_is_live_now_after(seed_db: Path) -> None:
    run(seed_db, "append", "whistle", "uel24-sf1-leg1", "kick-off", "--now")
    run(seed_db, "append", "goal", "uel24-sf1-leg1", "--team", "Marseille", "--minute", "1")


def test_with_at_a_back_fill_is_admitted(seed_db: Path) -> None:
    run(seed_db, "append", "whistle", "uel24-sf1-leg1", "kick-off",
        "--at", "2024-05-02T21:00+02:00")


def test_a_played_match_cannot_be_rescheduled_past_its_own_events(seed_db: Path) -> None:
    before = positions(seed_db)
    result = run(seed_db, "append", "fixture", "uel-2023-24", "uel24-qf3-leg1",
                 "--kickoff", "2024-04-12T21:00+02:00", code=1)
    assert "cannot be rescheduled after its own events" in result.stderr
    assert positions(seed_db) == before
    run(seed_db, "append", "fixture", "uel-2023-24", "uel24-qf3-leg1",
        "--kickoff", "2024-04-11T20:00+02:00", "--at", "2024-04-10T12:00Z")


# --- 8. time, stated --------------------------------------------------------------------------

def test_headings_keep_the_seconds_the_query_had(seed_file: Path) -> None:
    early = run(seed_file, "bracket", "uel-2023-24", "--known-at", "2024-04-12T12:05:06").stdout
    late = run(seed_file, "bracket", "uel-2023-24", "--known-at", "2024-04-12T12:05:34").stdout
    assert "known at 12 Apr 2024 12:05:06 UTC" in early
    assert "known at 12 Apr 2024 12:05:34 UTC" in late


def test_tz_sets_the_zone_of_times_typed_and_shown(seed_file: Path) -> None:
    def heading(*args: str) -> str:
        result = runner.invoke(app, [*args, "bracket", "uel-2023-24", "--as-of", "2024-04-12",
                                     "--db", str(seed_file)])
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()[0]

    assert "as of 12 Apr 2024 00:00 UTC" in heading()
    assert "as of 12 Apr 2024 00:00 CEST" in heading("--tz", "Europe/Berlin")
    log = runner.invoke(app, ["--tz", "Europe/Berlin", "log", "--match", "uel24-qf4-leg2",
                              "--db", str(seed_file)]).stdout
    assert "occurred (Europe/Berlin)" in log and "2024-04-18 21:00" in log  # 19:00 UTC
    score = runner.invoke(app, ["score", "uel24-qf4-leg2", "--db", str(seed_file)],
                          env={"MATCHLEDGER_TZ": "Europe/Lisbon"}).stdout
    assert "18 Apr 2024 20:00 WEST" in score


def test_a_date_typed_is_the_start_of_that_day_in_the_zone_given(seed_file: Path) -> None:
    # QF4's second leg kicked off 21:00 CEST on 18 April: 2024-04-18T21:30 is half an hour
    # in, in Berlin, and half past eleven at night UTC, when it was over
    berlin = runner.invoke(app, ["--tz", "Europe/Berlin", "score", "uel24-qf4-leg2", "--as-of",
                                 "2024-04-18T21:30", "--json", "--db", str(seed_file)])
    assert '"status": "live"' in berlin.stdout


def test_an_unknown_zone_is_one_line(seed_file: Path) -> None:
    result = runner.invoke(app, ["--tz", "Europe/Berln", "log", "--db", str(seed_file)])
    assert result.exit_code == 2
    assert "'Europe/Berln' is not a time zone" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- 7. neutral venues -------------------------------------------------------------------------

DATA = Path(__file__).parent / "data"


def test_a_fixture_at_a_neutral_ground_is_scheduled_and_shown_so(seed_db: Path) -> None:
    import json

    final = next(m for m in json.loads(run(seed_db, "matches", "--json").stdout)
                 if m["round"] == "F")["match"]
    assert json.loads(run(seed_db, "score", final, "--json").stdout)["neutral"] is False
    run(seed_db, "append", "fixture", "uel-2023-24", final, "--neutral", "--venue", "Dublin")
    board = json.loads(run(seed_db, "score", final, "--json").stdout)
    assert (board["neutral"], board["venue"]) == (True, "Dublin")
    assert "neutral venue" in run(seed_db, "score", final).stdout


def test_an_old_fixture_without_the_field_reads_as_not_neutral() -> None:
    from matchledger.events import FixtureScheduled
    from matchledger.ledger.codec import decode, encode

    old = {"match": "m1", "date": "2024-05-22"}
    assert decode("FixtureScheduled", 1, old) == FixtureScheduled(
        match="m1", date=dt.date(2024, 5, 22), neutral=False)
    assert "neutral" not in encode(FixtureScheduled(match="m1", date=dt.date(2024, 5, 22)))[2]


def test_an_imported_one_match_final_is_neutral_and_streaks_say_so(tmp_path: Path) -> None:
    db = tmp_path / "wc.db"
    run(db, "init")
    run(db, "import", str(DATA / "worldcup_2022_finals.json"))
    streaks = run(db, "streaks", "Argentina").stdout
    assert "18 Dec v France (neutral)" in streaks
    assert "at France" not in streaks and "at Argentina" not in run(db, "streaks", "France").stdout

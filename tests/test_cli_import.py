"""``matchledger import`` of real openfootball seasons, through the command line (in process): a
Football.TXT and a football.json season into one ledger, one club across both, nothing twice,
all of a file or none of it, and the views (teams, table, streaks) over what came in.

The library's own tests (tests/test_sources_*.py) pin the parsing and the inference; these
pin what a user types and reads.
"""

from __future__ import annotations

import doctest
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from clirun import head_hash, refused, run, run_json

import matchledger.cli.sources
from matchledger.cli.sources import format_of_text

DATA = Path(__file__).parent / "data"
EL, BL = DATA / "el_2023-24.txt", DATA / "de.1_2023-24.json"
UEL, BUNDESLIGA = "uefa-europa-league-2023-24", "bundesliga-2023-24"
LEVERKUSEN = "bayer-leverkusen"  # the Europa League file comes first: its spelling names it


@pytest.fixture(scope="module")
def seasons(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(a ledger with both seasons, imported in one command; what the import said)."""
    path = tmp_path_factory.mktemp("seasons") / "seasons.db"
    done = run("import", EL, BL, db=path)
    assert done.stdout == ""
    return path, done.stderr


@pytest.fixture
def seasons_db(seasons: tuple[Path, str], tmp_path: Path) -> Path:
    """A copy of the two-season ledger that a test may write to."""
    copy = tmp_path / "copy.db"
    shutil.copy(seasons[0], copy)
    return copy


def _edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_txt_and_a_json_season_go_into_one_ledger_with_a_summary(
        seasons: tuple[Path, str]) -> None:
    db, said = seasons
    for line in (
        f"{EL} (football.txt): UEFA Europa League 2023/24 -> competition {UEL} (mixed)",
        "matches 141 (141 with a result, 0 goals); ties 23",
        "inferred: round 'Quarterfinals': 4 two-legged tie(s) (legs by date)",
        f"{BL} (football.json): Bundesliga 2023/24 -> competition {BUNDESLIGA} (league)",
        "teams: 16 new, 2 matched to known teams",
        f"matched 'Bayer 04 Leverkusen' -> {LEVERKUSEN} (normalised form)",
        f"imported 2 file(s) into {db} in ",
        ": 447 matches, 23 ties inferred, teams 56 new and 2 matched; events 977 added, "
        "0 already there (head position 977)",
    ):
        assert line in said, line
    assert head_hash(db)[0] == 977


def test_importing_the_same_files_twice_adds_nothing(seasons_db: Path) -> None:
    before = head_hash(seasons_db)
    again = run_json("import", BL, EL, db=seasons_db)
    assert [(f["file"], f["format"], f["added"]) for f in again["files"]] == [
        (str(BL), "football.json", 0), (str(EL), "football.txt", 0)]
    assert (again["added"], again["skipped"], again["head"]) == (0, 977, 977)
    assert {m["how"] for f in again["files"] for m in f["teams_matched"]} == {"exact"}
    assert head_hash(seasons_db) == before


def test_standard_input_is_told_by_its_content_too(seasons: tuple[Path, str],
                                                   tmp_path: Path) -> None:
    piped = tmp_path / "piped.db"
    for source in (EL, BL):
        done = run("import", "-", db=piped, stdin=source.read_text(encoding="utf-8"))
        assert "stdin (football." in done.stderr
    assert run_json("table", BUNDESLIGA, db=piped) == run_json("table", BUNDESLIGA,
                                                               db=seasons[0])
    lines = "\n\n" + run("export", "--after", 970, db=seasons[0]).stdout
    refused(run("import", "-", db=piped, stdin=lines, ok=False), "stdin: line 3: ")


def test_a_bad_line_names_the_file_and_line_and_writes_none_of_the_file(
        seasons_db: Path, tmp_path: Path) -> None:
    broken = _edited(tmp_path, EL, "Bayer Leverkusen (GER)   3-0 (2-0)",
                     "Bayer Leverkusen (GER)   3-0 (2-0) (1-0)")
    before = head_hash(seasons_db)
    refused(run("import", broken, db=seasons_db, ok=False), f"{broken}:245: ")
    assert head_hash(seasons_db) == before
    # several files: the first that fails stops the import; the ones before it stay in
    cup = DATA / "dfb-pokal_2023-24.txt"
    done = run("import", cup, broken, BL, db=seasons_db, ok=False)
    refused(done, f"{broken}:245: ")
    assert f"nothing of {broken} was written; the 1 file(s) after it were not imported; " \
        f"the 1 file(s) before it stayed imported: {cup})" in done.stderr
    teams = run_json("teams", "--competition", "dfb-pokal-2023-24", db=seasons_db)
    assert len(teams) == 64 and head_hash(seasons_db)[0] > before[0]
    # into a new file, nothing imported leaves no file behind
    fresh = tmp_path / "fresh.db"
    refused(run("import", broken, db=fresh, ok=False), f"{broken}:245: ")
    assert not fresh.exists()


def test_a_close_team_name_is_refused_until_an_alias_settles_it(
        seasons_db: Path, tmp_path: Path) -> None:
    cl = DATA / "cl_2023-24.txt"
    before = head_hash(seasons_db)
    done = run("import", cl, db=seasons_db, ok=False)
    refused(done, f"{cl}: 3 team names need settling with an alias (NAME=team-id): "
            "'Feyenoord Rotterdam' is not a known team but is close to 'Feyenoord' (feyenoord)")
    assert done_hint(done) == "settle them with --alias NAME=ID (or --aliases FILE)"
    assert head_hash(seasons_db) == before
    aliases = tmp_path / "aliases.txt"
    aliases.write_text("# one club, two spellings\nSport Lisboa e Benfica=sl-benfica\n")
    summary = run_json("import", cl, "--alias", "Feyenoord Rotterdam=feyenoord",
                       "--alias", "Racing Club de Lens=rc-lens", "--aliases", aliases,
                       db=seasons_db)
    (file,) = summary["files"]
    assert {"name": "Feyenoord Rotterdam", "team": "feyenoord", "how": "alias map"} \
        in file["teams_matched"]
    teams = {t["team"]: t for t in run_json("teams", db=seasons_db)}
    assert "Sport Lisboa e Benfica" in teams["sl-benfica"]["aliases"]
    assert teams["feyenoord"]["competitions"] == [UEL, "uefa-champions-league-2023-24"]


def done_hint(done: subprocess.CompletedProcess[str]) -> str:
    """What a refused import's one line says to type about it: its last clause."""
    return done.stderr.strip().rsplit("; ", 1)[-1]


def test_matches_already_in_the_ledger_under_another_competition_are_refused_by_default(
        seasons_db: Path) -> None:
    before = head_hash(seasons_db)
    done = run("import", EL, "--competition", "el-again", db=seasons_db, ok=False)
    refused(done, f"match(es) of {EL} are in the ledger already under other ids")
    assert done_hint(done) == "--allow-duplicates imports them anyway"
    assert head_hash(seasons_db) == before
    run("import", EL, "--competition", "el-again", "--allow-duplicates", db=seasons_db)
    assert head_hash(seasons_db)[0] > before[0]


def test_teams_json_lists_ids_names_countries_aliases_and_competitions(
        seasons: tuple[Path, str]) -> None:
    teams = run_json("teams", db=seasons[0])
    assert len(teams) == 56 and [t["team"] for t in teams] == sorted(t["team"] for t in teams)
    assert next(t for t in teams if t["team"] == LEVERKUSEN) == {
        "team": LEVERKUSEN, "name": "Bayer Leverkusen", "country": "GER",
        "aliases": ["Bayer 04 Leverkusen"], "competitions": [UEL, BUNDESLIGA]}
    assert len(run_json("teams", "--competition", BUNDESLIGA, db=seasons[0])) == 18
    assert "Bayer 04 Leverkusen" in run("teams", db=seasons[0]).stdout


def test_table_of_the_league_and_of_one_group(seasons: tuple[Path, str]) -> None:
    db = seasons[0]
    table = run_json("table", BUNDESLIGA, db=db)
    assert [(r["team"], r["won"], r["drawn"], r["lost"], r["goals_for"], r["goals_against"],
             r["points"]) for r in table[:3]] == [
        (LEVERKUSEN, 28, 6, 0, 89, 24, 90),
        ("vfb-stuttgart", 23, 4, 7, 78, 39, 73),
        ("bayern-munchen", 23, 3, 8, 94, 45, 72),
    ]
    assert table[-1]["team"] == "sv-darmstadt-98" and len(table) == 18
    group = run_json("table", UEL, "--group", "Group A", db=db)
    assert [(r["team"], r["played"], r["points"]) for r in group] == [
        ("west-ham-united", 6, 15), ("sc-freiburg", 6, 12), ("olympiakos-piraeus", 6, 7),
        ("tsc-backa-topola", 6, 1)]
    refused(run("table", UEL, "--group", "Group Z", db=db, ok=False),
            f"no round 'Group Z' in {UEL}")


def test_streaks_run_across_both_seasons(seasons: tuple[Path, str]) -> None:
    streaks = run_json("streaks", "Bayer 04 Leverkusen", db=seasons[0])
    longest = streaks["unbeaten"]["longest"]
    assert (longest["length"], longest["wins"], longest["draws"]) == (46, 37, 9)
    assert longest["last_match"] == "bundesliga-2023-24-matchday-34-bayer-leverkusen-fc-augsburg"
    assert streaks["losing"]["current"]["first_match"] == f"{UEL}-f"  # the final, in Dublin


def test_a_league_season_unbeaten_is_a_streak_of_that_competition(
        seasons: tuple[Path, str]) -> None:
    league = run_json("streaks", "Bayer 04 Leverkusen", "--competition", BUNDESLIGA,
                      db=seasons[0])
    longest = league["unbeaten"]["longest"]
    assert (longest["length"], longest["wins"], longest["draws"]) == (34, 28, 6)
    assert league["unbeaten"]["current"] == longest  # the whole season: it never ended
    every = run_json("streaks", "-c", BUNDESLIGA, db=seasons[0])
    assert len(every) == 18 and every[LEVERKUSEN] == league
    refused(run("streaks", "-c", "bundesliga", db=seasons[0], ok=False),
            "unknown competition 'bundesliga'; did you mean 'bundesliga-2023-24'")


def test_rules_and_format_options(tmp_path: Path, seasons: tuple[Path, str]) -> None:
    db = tmp_path / "two-points.db"
    summary = run_json("import", BL, "--points-for-win", "2", "--competition", "bl",
                       "--format", "football.json", db=db)
    assert summary["files"][0]["competition"] == "bl"
    assert run_json("table", "bl", db=db)[0]["points"] == 2 * 28 + 6
    finals = DATA / "cl_2013-14_finals.txt"
    away = run_json("import", finals, "--no-away-goals", db=db)["files"][0]
    assert any("QF4" in w and "no winner" in w for w in away["warnings"])
    # JSON Lines are told apart by content, whatever the name; the options are not for them
    exported = tmp_path / "seasons.log"
    run("export", "--output", exported, db=seasons[0])
    copy = tmp_path / "copy.db"
    assert "imported 977 events" in run("import", exported, db=copy).stderr
    assert head_hash(copy) == head_hash(seasons[0])
    refused(run("import", exported, "--alias", "A=b", db=copy, ok=False),
            "--alias/--aliases: only for Football.TXT and football.json files")
    refused(run("import", BL, "--round-kind", "Matchday 1=cup", db=copy, ok=False),
            "--round-kind 'Matchday 1=cup': write ROUND=league or ROUND=knockout")
    refused(run("import", BL, DATA / "missing.txt", db=copy, ok=False),
            f"no such file: {DATA / 'missing.txt'}")
    assert json.loads(exported.read_text().splitlines()[0])["position"] == 1


@pytest.mark.parametrize(("head", "name", "told"), [
    ('{"stream": "match:m1", "type": "MatchStarted", "data": {}}', "log.txt", "jsonl"),
    ('{"position": 1, "event_id": "e1", "stream": "competition:c", "type": "X"}', "x", "jsonl"),
    ('{"stream": "match:m1", "type": "GoalScored", "data": {', "log", "jsonl"),  # a cut line
    ("anything at all", "log.jsonl", "jsonl"),
    ("{", "season", "football.json"),  # pretty-printed
    ('{"name": "Bundesliga 2023/24", "matches": []}', "de.1", "football.json"),  # minified
    ('{"name": "Bundesliga 2023/24",', "de.1.json", "football.json"),
    ("\ufeff= UEFA Europa League 2023/24", "el", "football.txt"),
    ("# a comment first", "bl.txt", "football.txt"),
])
def test_the_format_is_told_by_the_content(head: str, name: str, told: str) -> None:
    assert format_of_text(head + "\n", name) == told


def test_the_examples_of_the_module_docstring_hold() -> None:
    assert doctest.testmod(matchledger.cli.sources).failed == 0

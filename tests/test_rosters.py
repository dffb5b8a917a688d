"""Issue 19, point 2: rosters. Where a team has registered players in a competition, only they
can be named for it there; a team without a roster (results imported without line-ups) names
anyone. The rule is the judge's (``events.roster`` called from ``ledger.validate``), so the
command line, the web API and the importers all meet it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from clirun import cli

import matchledger.ledger.validate as validate
from matchledger.cli.common import complete_player
from matchledger.cli.demo import seed_lines
from matchledger.events import GoalScored, PlayerRegistered, TeamRegistered
from matchledger.events.roster import Roster, on_roster
from matchledger.events.rules import RuleViolation
from matchledger.ledger import Ledger, import_lines
from matchledger.ledger.teams import Registry

SF1 = "uel24-sf1-leg1"  # Marseille v Atalanta, 2 May 2024, 21:00 +02:00
UEL = "uel-2023-24"


def at(minute: int) -> str:
    return f"2024-05-02T{21 + (minute + 0) // 60:02d}:{minute % 60:02d}+02:00"


@pytest.fixture(scope="module")
def sf1_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, with the first semi-final given its teams and kick-off, and kicked off."""
    db = tmp_path_factory.mktemp("rosters") / "seed.db"
    with Ledger(db) as lg:
        import_lines(lg, seed_lines())
    cli(db, "append", "fixture", UEL, SF1, "--home", "Marseille", "--away", "Atalanta",
        "--kickoff", "2024-05-02T21:00+02:00", "--at", "2024-04-19T10:00Z")
    cli(db, "append", "whistle", SF1, "kick-off", "--at", at(0))
    return db


@pytest.fixture
def db(sf1_file: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sf1_file, tmp_path / "seed.db"))


def head(db: Path) -> int:
    with Ledger(db, read_only=True) as lg:
        return lg.head()


def refused(db: Path, *args: str) -> str:
    """The one line of a refused append, which wrote nothing."""
    before = head(db)
    result = cli(db, *args, code=1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert head(db) == before
    return lines[0]


def goals(db: Path) -> list[tuple[str, str]]:
    with Ledger(db, read_only=True) as lg:
        return [(e.event.team, e.event.player or "") for e in lg.read(stream=f"match:{SF1}")
                if isinstance(e.event, GoalScored)]


def roster(db: Path, team: str) -> list[str]:
    with Ledger(db, read_only=True) as lg:
        found = lg.registry().roster(UEL, team)
    return sorted(set(found.spellings.values())) if found else []


# --- the rule, pure ------------------------------------------------------------------------------


def test_the_rule_finds_any_spelling_and_refuses_the_rest_with_the_closest_names() -> None:
    atalanta = Roster.of("Atalanta", [("Mario Pašalić", ()), ("Gianluca Scamacca", ("Scamaca",)),
                                      ("Ademola Lookman", ())])
    roma = Roster.of("Roma", [("Paulo Dybala", ())])
    assert on_roster("MARIO PASALIC", atalanta) == "Mario Pašalić"  # case and accents aside
    assert on_roster("scamaca", atalanta) == "Gianluca Scamacca"  # an alias registered
    with pytest.raises(RuleViolation, match="did you mean 'Ademola Lookman'"):
        on_roster("Lookmann", atalanta, [roma])
    with pytest.raises(RuleViolation, match="'Dybala' is Roma's Paulo Dybala, not a player of "
                                            "Atalanta"):
        on_roster("Dybala", atalanta, [roma])
    with pytest.raises(RuleViolation, match="its players are Ademola Lookman, Gianluca "
                                            "Scamacca, Mario Pašalić"):
        on_roster("Zzyzx", atalanta)  # nothing close: the roster, listed


# --- the command line ----------------------------------------------------------------------------


def test_a_roster_built_once_is_rebuilt_after_a_registration_changes_it() -> None:
    """The registry keeps each roster it built; a copy made writable drops those its
    registrations change (a new player, the team's new name), and the original keeps its own."""
    reg = Registry().registered([TeamRegistered(team="ata", name="Atalanta"),
                                 PlayerRegistered(team="ata", name="Ademola Lookman")],
                                ["uel", "uel"])
    before = reg.roster("uel", "ata")
    assert before is not None and before is reg.roster("uel", "ata")
    copy, add = reg.writable()
    assert copy.roster("uel", "ata") is before
    add(PlayerRegistered(team="ata", name="Gianluca Scamacca"), "uel")
    after = copy.roster("uel", "ata")
    assert after is not None and after.find("gianluca SCAMACCA") == "Gianluca Scamacca"
    add(TeamRegistered(team="ata", name="Atalanta BC"), "uel")
    renamed = copy.roster("uel", "ata")
    assert renamed is not None and renamed.team == "Atalanta BC"
    assert renamed.find("Gianluca Scamacca") == "Gianluca Scamacca"
    assert reg.roster("uel", "ata") is before and before.find("Gianluca Scamacca") is None


def test_a_name_on_the_roster_is_admitted_in_any_spelling_as_the_roster_spells_it(
        db: Path) -> None:
    cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "MARIO PAŠALIĆ",
        "--minute", "3", "--at", at(3))  # registered as Mario Pasalic
    assert goals(db) == [("atalanta", "Mario Pasalic")]


@pytest.mark.parametrize(("args", "said"), [
    (("goal", SF1, "--team", "Atalanta", "--player", "Scamaka", "--minute", "5"),
     "GoalScored refused: no player 'Scamaka' in Atalanta's roster: did you mean "
     "'Gianluca Scamacca'? (register a new one with --new-player)"),
    (("card", SF1, "--team", "Atalanta", "--player", "Pasalik", "--minute", "5"),
     "CardShown refused: no player 'Pasalik' in Atalanta's roster: did you mean 'Mario Pasalic'?"),
    (("sub", SF1, "--team", "Atalanta", "--off", "Scamacca", "--on", "Lookmann", "--minute", "5"),
     "SubstitutionMade refused: no player 'Lookmann' in Atalanta's roster"),
    (("kick", SF1, "scored", "--team", "Atalanta", "--taker", "Nobody"),
     "ShootoutKick refused: no player 'Nobody' in Atalanta's roster: its players are "
     "Gianluca Scamacca, Mario Pasalic"),
    # a player of the other team, or of another team of the competition, names his team
    (("goal", SF1, "--team", "Atalanta", "--player", "moumbagna", "--minute", "5"),
     "GoalScored refused: 'moumbagna' is Olympique de Marseille's Faris Moumbagna, not a player "
     "of Atalanta"),
    (("card", SF1, "--team", "Marseille", "--player", "Paulo Dybala", "--minute", "5"),
     "CardShown refused: 'Paulo Dybala' is a player of AS Roma, not of Olympique de Marseille"),
])
def test_a_name_off_the_roster_is_refused_in_one_line_and_nothing_is_written(
        db: Path, args: tuple[str, ...], said: str) -> None:
    line = refused(db, "append", *args, "--at", at(5))
    assert line.startswith(f"error: match:{SF1} v2: ")
    assert said in line


def test_new_player_registers_him_with_the_event_in_one_append(db: Path) -> None:
    before = head(db)
    out = cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Ademola Lookman",
              "--minute", "7", "--at", at(7), "--new-player").stdout
    assert "appended PlayerRegistered" in out and "appended GoalScored" in out
    assert head(db) == before + 2
    assert "Ademola Lookman" in roster(db, "atalanta")
    assert goals(db) == [("atalanta", "Ademola Lookman")]
    # on the roster now: the next goal needs no --new-player, and --new-player adds no one
    cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "ademola lookman",
        "--minute", "9", "--at", at(9), "--new-player")
    assert head(db) == before + 3
    # a substitution registers whichever of its two players is new
    cli(db, "append", "sub", SF1, "--team", "Marseille", "--off", "Faris Moumbagna", "--on",
        "Pierre-Emerick Aubameyang", "--minute", "20", "--at", at(20), "--new-player")
    assert head(db) == before + 5
    assert "Pierre-Emerick Aubameyang" in roster(db, "marseille")


def test_new_player_with_an_event_the_rules_refuse_registers_no_one(db: Path) -> None:
    # minute 60 does not fit the first half: the whole append is refused, registration too
    line = refused(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Ederson",
                   "--minute", "60", "--at", at(10), "--new-player")
    assert "minute 60 does not fit 1H" in line
    assert "Ederson" not in roster(db, "atalanta")


def test_new_player_sent_again_under_its_event_id_appends_nothing(db: Path) -> None:
    args = ("append", "goal", SF1, "--team", "Atalanta", "--player", "Ederson", "--minute",
            "8", "--at", at(8), "--new-player", "--event-id",
            "5e0a8d8e-0000-4000-8000-000000000019")
    cli(db, *args)
    before = head(db)
    assert "already in the ledger: GoalScored" in cli(db, *args).stdout
    assert head(db) == before


def test_a_team_without_a_roster_names_anyone_until_it_registers_players(tmp_path: Path) -> None:
    db = tmp_path / "cup.db"
    cli(db, "init")
    cli(db, "append", "competition", "cup", "--name", "The Cup", "--season", "2025")
    for team, name in (("porto", "FC Porto"), ("braga", "SC Braga")):
        cli(db, "append", "team", "cup", team, "--name", name)
    cli(db, "append", "fixture", "cup", "final", "--home", "porto", "--away", "braga",
        "--kickoff", "2025-05-25T17:15+01:00")
    cli(db, "append", "whistle", "final", "kick-off", "--at", "2025-05-25T17:15+01:00")
    cli(db, "append", "goal", "final", "--team", "Porto", "--player", "Anyone At All",
        "--minute", "3", "--at", "2025-05-25T17:18+01:00")
    cli(db, "append", "goal", "final", "--team", "Braga", "--player", "Ricardo Horta",
        "--minute", "4", "--at", "2025-05-25T17:19+01:00", "--new-player")  # Braga's first
    cli(db, "append", "goal", "final", "--team", "Porto", "--player", "Someone Else",
        "--minute", "5", "--at", "2025-05-25T17:20+01:00")  # Porto still has none
    line = refused(db, "append", "goal", "final", "--team", "Braga", "--player", "Bruma",
                   "--minute", "6", "--at", "2025-05-25T17:21+01:00")
    assert "no player 'Bruma' in SC Braga's roster: its players are Ricardo Horta" in line


# --- append player: several at once, from a file ----------------------------------------------


def test_append_player_takes_several_names_a_file_and_stdin_in_one_append(
        db: Path, tmp_path: Path) -> None:
    before = head(db)
    cli(db, "append", "player", UEL, "--team", "Atalanta", "Ademola Lookman", "Ederson",
        "--name", "Marten de Roon")
    squad = tmp_path / "squad.txt"
    squad.write_text("# Atalanta, the rest\nCharles De Ketelaere | CDK | De Ketelaere\n\n"
                     "Berat Djimsiti\n", encoding="utf-8")
    cli(db, "append", "player", UEL, "--team", "Atalanta", "--file", str(squad))
    cli(db, "append", "player", UEL, "--team", "Marseille", "--file", "-",
        stdin="Pierre-Emerick Aubameyang | Aubameyang\nJordan Veretout\n")
    assert head(db) == before + 7
    assert roster(db, "atalanta") == [
        "Ademola Lookman", "Berat Djimsiti", "Charles De Ketelaere", "Ederson",
        "Gianluca Scamacca", "Mario Pasalic", "Marten de Roon"]
    cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "CDK", "--minute", "4",
        "--at", at(4))
    assert goals(db) == [("atalanta", "Charles De Ketelaere")]


@pytest.mark.parametrize(("args", "said"), [
    ((), "name the players: NAME..., --name or --file"),
    (("Ederson", "Ademola Lookman", "--alias", "Lookman"), "--alias goes with one player"),
    (("--file", "missing.txt"), "--file missing.txt:"),
    (("Ederson", "Ederson!"), None),  # one spelling, two players: the registry refuses
])
def test_append_player_refuses_in_one_line_and_writes_nothing(
        db: Path, args: tuple[str, ...], said: str | None) -> None:
    line = refused(db, "append", "player", UEL, "--team", "Atalanta", *args)
    assert said is None or said in line


def test_completion_offers_the_players_of_the_team_typed(db: Path) -> None:
    ctx: Any = SimpleNamespace(params={"db": str(db), "team": "Atalanta"})
    assert complete_player(ctx, "sca") == ["Gianluca Scamacca"]
    assert complete_player(ctx, "m") == ["Mario Pasalic"]  # a word of the name
    ctx.params = {"db": str(db)}
    assert complete_player(ctx, "mo") == ["Faris Moumbagna", "Mohamed Salah"]


# --- the importers ----------------------------------------------------------------------------


def test_an_import_without_line_ups_registers_no_one_and_names_stay_free(tmp_path: Path) -> None:
    txt = tmp_path / "cup.txt"
    txt.write_text("= Cup 2024\n» Final\n[Sat Jun/1]\n  Alpha  2-1  Beta\n"
                   "    [Al Pha 10' Al Pha 70'; Be Ta 80']\n", encoding="utf-8")
    db = tmp_path / "i.db"
    cli(db, "import", str(txt))
    with Ledger(db, read_only=True) as lg:
        assert not list(lg.read(types=["PlayerRegistered"]))
        scorers = [e.event.player for e in lg.read(types=["GoalScored"])
                   if isinstance(e.event, GoalScored)]
    assert scorers == ["Al Pha", "Al Pha", "Be Ta"]


def test_an_import_registers_a_scorer_its_line_ups_leave_out(tmp_path: Path) -> None:
    data = Path(__file__).parent / "data" / "euro_2024_excerpt.txt"
    db = tmp_path / "euro.db"
    cli(db, "import", str(data))
    with Ledger(db, read_only=True) as lg:
        registered = {(e.event.team, e.event.name) for e in lg.read(types=["PlayerRegistered"])
                      if isinstance(e.event, PlayerRegistered)}
        shaqiri = [e for e in lg.read(types=["GoalScored"])
                   if isinstance(e.event, GoalScored) and e.event.player == "Shaqiri"]
    assert ("switzerland", "Shaqiri") in registered and len(shaqiri) == 1


def test_issue_19_lookmann_is_not_a_second_lookman_and_mbemba_cannot_score_for_atalanta(
        db: Path) -> None:
    cli(db, "append", "player", UEL, "--team", "Atalanta", "--name", "Ademola Lookman",
        "--alias", "Lookman")
    cli(db, "append", "player", UEL, "--team", "Marseille", "--name", "Chancel Mbemba",
        "--alias", "Mbemba")
    assert "did you mean 'Ademola Lookman'?" in refused(
        db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Lookmann", "--minute",
        "12", "--at", at(12))
    assert "'Mbemba' is Olympique de Marseille's Chancel Mbemba, not a player of Atalanta" in (
        refused(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Mbemba",
                "--minute", "12", "--at", at(12)))
    assert roster(db, "atalanta") == ["Ademola Lookman", "Gianluca Scamacca", "Mario Pasalic"]


def stored_by_an_append(db: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """The registry before an append that stores it (as every append may, here)."""
    monkeypatch.setattr(validate, "REGISTRY_STORED_AFTER", 1)
    with Ledger(db) as lg:
        expected = lg.registry()
    cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Scamaca",
        "--minute", "3", "--at", at(3))
    return expected


def test_the_stored_registry_keeps_the_rosters(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process starting from the registry an append stored still refuses a name off a
    roster: the stored registry holds the rosters as well as the teams and spellings."""
    expected = stored_by_an_append(db, monkeypatch)
    with sqlite3.connect(db) as conn:
        assert validate.stored_registry(conn) is not None
    with Ledger(db, read_only=True) as lg:
        assert lg.registry() == expected
        assert lg.registry().rosters == expected.rosters
    line = refused(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Lookman",
                   "--minute", "5", "--at", at(5))
    assert "no player 'Lookman' in Atalanta's roster" in line


def _earlier_layout(data: dict[str, Any]) -> str:
    data["rosters"] = [[competition, team, [[name, aliases] for name, aliases in
                                            players.items()]]
                       for competition, squads in data["rosters"].items()
                       for team, players in squads.items()]
    return json.dumps(data)


def _empty_roster(data: dict[str, Any]) -> str:
    data["rosters"]["uel-2023-24"]["atalanta"] = {}
    return json.dumps(data)


def _roster_of_no_team(data: dict[str, Any]) -> str:
    data["rosters"]["uel-2023-24"]["nobody"] = {"Ademola Lookman": []}
    return json.dumps(data)


def _nested_deeply(data: dict[str, Any]) -> str:
    return json.dumps(data)[:-1] + ',"x":' + "[" * 100_000 + "]" * 100_000 + "}"


@pytest.mark.parametrize("spoil", [_earlier_layout, _empty_roster, _roster_of_no_team,
                                   _nested_deeply])
def test_a_registry_stored_otherwise_than_this_version_stores_it_is_read_from_the_log(
        db: Path, monkeypatch: pytest.MonkeyPatch, spoil: Callable[[dict[str, Any]], str]
) -> None:
    """A stored registry in the layout the version before stored, or one no version stores
    (edited by hand), is not used: the rosters come from the log, and the next write stores
    them anew."""
    expected = stored_by_an_append(db, monkeypatch)
    with sqlite3.connect(db) as conn:
        data = json.loads(conn.execute("SELECT registry FROM ledger_registry").fetchone()[0])
        conn.execute("UPDATE ledger_registry SET registry = ?", (spoil(data),))
        assert validate.stored_registry(conn) is None
    with Ledger(db, read_only=True) as lg:
        assert lg.registry() == expected
    assert "no player 'Lookman' in Atalanta's roster" in refused(
        db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Lookman", "--minute",
        "5", "--at", at(5))
    cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Scamaca",
        "--minute", "6", "--at", at(6))
    with sqlite3.connect(db) as conn:
        stored = validate.stored_registry(conn)
    assert stored is not None and stored[1].rosters == expected.rosters

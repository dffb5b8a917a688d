"""The command line's parts, in-process: every command has help with an example, times and
minutes parse as documented, and views read the way people write them."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer.main
from rich.console import Console
from test_cli import all_commands
from typer.testing import CliRunner

import matchledger.cli.log
import matchledger.cli.views
import matchledger.projections as P
from matchledger.cli import render
from matchledger.cli.common import complete_match, complete_team, parse_minute, parse_moment
from matchledger.cli.demo import seed_lines
from matchledger.cli.main import app
from matchledger.cli.views import match_views
from matchledger.events import (
    CompetitionCreated,
    FixtureScheduled,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    TieRules,
)
from matchledger.ledger import Ledger, import_lines

from conftest import drafts, setup_tie

UTC = dt.UTC
CEST = dt.timezone(dt.timedelta(hours=2))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    lg = Ledger(tmp_path_factory.mktemp("seed") / "seed.db")
    import_lines(lg, seed_lines())
    yield lg
    lg.close()


def text_of(renderable: Any, width: int = 100) -> str:
    out = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    out.print(renderable)
    return out.export_text()


# --- help ------------------------------------------------------------------------------------


def _command(path: str) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path.split():
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", all_commands())
def test_every_command_and_subcommand_has_help_with_an_example(path: str) -> None:
    command = _command(path)
    assert command.help and command.help.strip(), path
    if not hasattr(command, "commands"):  # a group (append) lists its subcommands instead
        example = command.help.partition("Example: ")[2]
        assert f"matchledger {path} " in example, path
    for param in command.params:
        if param.name not in ("help",):
            assert getattr(param, "help", None), f"{path}: {param.name} has no help"
    result = CliRunner().invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: matchledger " + path in " ".join(result.stdout.split())


def test_the_read_commands_all_travel_in_time_and_speak_json() -> None:
    for path in ("score", "tie", "bracket", "table", "streaks", "players", "log"):
        options = {o for p in _command(path).params for o in getattr(p, "opts", ())}
        assert {"--as-of", "--known-at", "--at-position", "--json", "--db"} <= options, path


def test_no_arguments_shows_the_help_and_succeeds() -> None:
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0 and "matchledger demo" in result.stdout


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "meant"), [
    ("2024-04-12", dt.datetime(2024, 4, 12, tzinfo=UTC)),  # the START of the day, UTC
    ("2024-04-19T12:00", dt.datetime(2024, 4, 19, 12, tzinfo=UTC)),
    ("2024-04-19 12:00", dt.datetime(2024, 4, 19, 12, tzinfo=UTC)),
    ("2024-04-18T21:00+02:00", dt.datetime(2024, 4, 18, 21, tzinfo=CEST)),
    ("2024-04-18T19:00Z", dt.datetime(2024, 4, 18, 19, tzinfo=UTC)),
])
def test_times_are_utc_unless_they_say_otherwise_and_a_date_is_its_first_moment(
        typed: str, meant: dt.datetime) -> None:
    parsed = parse_moment(typed)
    assert parsed == meant and parsed.utcoffset() == meant.utcoffset()


@pytest.mark.parametrize("typed", ["12 April", "2024-13-01", "2024-04-12T25:00", ""])
def test_a_time_that_is_not_one_says_how_to_write_one(typed: str) -> None:
    with pytest.raises(ValueError, match="is not a date or time: use 2024-04-12"):
        parse_moment(typed)


def test_now_is_now() -> None:
    assert abs(parse_moment("now") - dt.datetime.now(UTC)) < dt.timedelta(seconds=5)


@pytest.mark.parametrize(("typed", "minute", "added"), [
    ("38", 38, None), ("45+2", 45, 2), ("90 + 3", 90, 3), ("120+1'", 120, 1)])
def test_minutes_take_added_time(typed: str, minute: int, added: int | None) -> None:
    parsed = parse_minute(typed)
    assert (parsed.minute, parsed.added) == (minute, added)


@pytest.mark.parametrize("typed", ["fifty", "45+", "+2", "-3"])
def test_a_minute_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="is not a match minute"):
        parse_minute(typed)


# --- how views read ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "aliases", "short"), [
    ("Olympique de Marseille", ("Marseille", "Olympique Marseille"), "Marseille"),
    ("Bayer 04 Leverkusen", ("Bayer Leverkusen", "Leverkusen", "Leverkuse"), "Leverkusen"),
    ("Atalanta", ("Atlanta",), "Atalanta"),
    ("AS Roma", ("AS Roma", "Roma"), "Roma"),
    ("Qarabağ", ("Qarabag",), "Qarabağ"),
])
def test_teams_show_by_their_shortest_proper_name_never_a_typo(
        name: str, aliases: tuple[str, ...], short: str) -> None:
    assert render.short_name(name, aliases) == short


def test_a_score_line_says_extra_time_penalties_and_aggregate(seeded: Ledger) -> None:
    state = P.state_at(seeded)
    names = render.Names(state)
    lines = {m: render.score_line(*match_views(state, m), names)
             for m in ("uel24-qf4-leg2", "uel24-qf2-leg1", "uel24-qf1-leg2")}
    assert lines == {"uel24-qf4-leg2": "Marseille 1-0 Benfica (a.e.t., 4-2 pens; agg 2-2)",
                     "uel24-qf2-leg1": "Liverpool 0-3 Atalanta",
                     "uel24-qf1-leg2": "Roma 2-1 Milan (agg 3-1)"}


@pytest.mark.parametrize(("as_of", "status"), [
    (dt.datetime(2024, 4, 18, 22, 40, tzinfo=CEST), "live 79'"),
    (dt.datetime(2024, 4, 18, 21, 50, tzinfo=CEST), "live, half time"),
    (dt.datetime(2024, 4, 18, 22, 48, tzinfo=CEST), "live, end of 90 minutes"),
    (dt.datetime(2024, 4, 18, 23, 5, 30, tzinfo=CEST), "live, half time of extra time"),
    (dt.datetime(2024, 4, 18, 23, 24, tzinfo=CEST), "live, end of extra time"),
    (dt.datetime(2024, 4, 18, 23, 28, tzinfo=CEST), "live, penalty shoot-out"),
    (dt.datetime(2024, 4, 18, 12, 0, tzinfo=CEST), "scheduled, kick-off 18 Apr 2024 21:00 +02:00"),
    (None, "full time"),
])
def test_the_status_reads_like_a_match_day(seeded: Ledger, as_of: dt.datetime | None,
                                           status: str) -> None:
    board, _ = match_views(P.state_at(seeded, as_of=as_of), "uel24-qf4-leg2")
    assert render.status_text(board) == status


def test_a_competition_takes_every_rule_of_its_era(db_path: Path) -> None:
    Ledger(db_path).close()
    result = CliRunner().invoke(app, [
        "append", "competition", "uefa-cup-1994-95", "--name", "UEFA Cup", "--season",
        "1994/95", "--away-goals", "--away-goals-in-extra-time", "--points-for-win", "2",
        "--at", "1994-09-01", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    with Ledger(db_path) as lg:
        created = next(lg.read()).event
    assert isinstance(created, CompetitionCreated)
    assert created.rules == TieRules(away_goals=True, away_goals_in_extra_time=True,
                                     points_for_win=2)


@pytest.mark.parametrize(("rules", "period"), [
    (TieRules(), "ET1"), (TieRules(extra_time=False), "PSO")])
def test_a_whistle_after_ninety_level_minutes_starts_what_the_rules_have_next(
        db_path: Path, rules: TieRules, period: str) -> None:
    with Ledger(db_path) as lg:
        setup_tie(lg, legs=1, rules=rules)
        lg.append("match:t1-leg1", drafts(
            MatchStarted(), PeriodStarted(period=Period.FIRST_HALF),
            PeriodEnded(period=Period.FIRST_HALF), PeriodStarted(period=Period.SECOND_HALF),
            PeriodEnded(period=Period.SECOND_HALF)))
    result = CliRunner().invoke(app, ["append", "whistle", "t1-leg1", "start", "--now",
                                      "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert f"{period} starts" in result.stdout


def test_players_top_n_are_the_first_n_of_the_whole_list(seeded: Ledger) -> None:
    def listed(*args: str) -> list[dict[str, Any]]:
        result = CliRunner().invoke(app, ["players", *args, "--json", "--db",
                                          str(seeded.path)])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    every = listed()
    assert listed("--top", "2") == every[:2] and len(every) > 2
    assert every[0]["player"] == "Gianluca Scamacca"


def test_players_of_a_competition_and_of_a_team_in_it(seeded: Ledger) -> None:
    def listed(*args: str) -> Any:
        result = CliRunner().invoke(app, ["players", *args, "--json", "--db", str(seeded.path)])
        return result.exit_code, (json.loads(result.stdout) if result.exit_code == 0
                                  else result.output)

    everyone = listed()[1]
    assert listed("--competition", "uel-2023-24") == (0, everyone)  # the seed's only goals
    assert listed("-c", "bundesliga-2023-24") == (0, [])  # a result, without scorers
    assert listed("--team", "Roma", "-c", "uel-2023-24") == (
        0, [p for p in everyone if p["team"] == "roma"])
    assert listed("--team", "Roma", "-c", "bundesliga-2023-24") == (0, [])  # never played
    code, said = listed("--team", "Roma", "-c", "bundesliga")
    assert code == 1 and "unknown competition 'bundesliga'" in said
    code, said = listed("-c", "bundesliga")
    assert code == 1 and "did you mean 'bundesliga-2023-24'" in said


@pytest.mark.parametrize("command", ["players", "teams", "streaks"])
def test_nothing_to_show_says_as_of_then_only_of_the_past(db_path: Path, command: str) -> None:
    Ledger(db_path).close()
    now = CliRunner().invoke(app, [command, "--db", str(db_path)])
    then = CliRunner().invoke(app, [command, "--as-of", "2024-04-12", "--db", str(db_path)])
    assert now.exit_code == then.exit_code == 0, now.output + then.output
    assert now.stdout.startswith("no ") and "as of then" not in now.stdout
    assert then.stdout.rstrip().endswith("(as of then)")


def test_an_unknown_name_in_an_empty_ledger_says_as_of_then_only_of_the_past(
        db_path: Path) -> None:
    Ledger(db_path).close()
    now = CliRunner().invoke(app, ["table", "x", "--db", str(db_path)])
    then = CliRunner().invoke(app, ["table", "x", "--as-of", "2024-04-12", "--db", str(db_path)])
    assert now.exit_code == then.exit_code == 1
    assert now.output.strip().endswith("no competitions in the ledger")
    assert then.output.strip().endswith("no competitions in the ledger (as of then)")


def test_a_tie_keeps_its_teams_names_whole_in_80_columns(seeded: Ledger) -> None:
    state = P.state_at(seeded)
    text = text_of(render.tie_view(P.tie(state, "QF4"), render.Names(state)), width=80)
    rows = [line for line in text.splitlines() if "Apr 2024" in line]
    assert len(rows) == 2 and all("Benfica" in r and "Marseille" in r for r in rows)
    assert "…" not in text
    assert "matches: uel24-qf4-leg1, uel24-qf4-leg2" in text


def numbered_rows(lg: Ledger, rest: str, *args: str) -> tuple[list[int], str]:
    """The numbers that begin the rows of a command's table (``rest``: the regex of what
    follows them), and what it said on stderr."""
    result = CliRunner().invoke(app, [*args, "--db", str(lg.path)])
    assert result.exit_code == 0, result.output
    rows = re.findall(rf"^\s*(\d+)\s{{2,}}{rest}", result.stdout, re.M)
    return [int(n) for n in rows], result.stderr


def test_a_table_of_the_log_shows_a_screenful_not_a_million_rows(
        seeded: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matchledger.cli.log, "SHOWN", 5)

    def shown(*args: str) -> tuple[list[int], str]:  # rows: position, then the event id
        return numbered_rows(seeded, r"[0-9a-f]{8}\s", "log", *args)

    assert shown() == ([138, 139, 140, 141, 142], "the last 5 events shown; --after N or "
                       "--last N for others, --json for every one\n")
    rows, said = shown("--after", "10")
    assert rows == [11, 12, 13, 14, 15] and said.startswith("the first 5 events after 10")
    rows, said = shown("--match", "uel24-qf4-leg2", "--type", "ShootoutKick")
    assert len(rows) == 5 and said.startswith("the last 5")  # of the 8 kicks
    assert shown("--last", "7") == ([136, 137, 138, 139, 140, 141, 142], "")
    assert shown("--after", "138") == ([139, 140, 141, 142], "")
    everything = CliRunner().invoke(app, ["log", "--json", "--db", str(seeded.path)])
    assert len(everything.stdout.splitlines()) == 142


def test_a_table_of_players_shows_the_first_hundred_and_says_so(
        seeded: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matchledger.cli.views, "PLAYERS_SHOWN", 3)

    def shown(*args: str) -> tuple[list[int], str]:  # rows: rank, then the player's name
        return numbered_rows(seeded, r"\D", "players", *args)

    every = len(json.loads(CliRunner().invoke(
        app, ["players", "--json", "--db", str(seeded.path)]).stdout))
    assert shown() == ([1, 2, 3], f"the first 3 of {every} shown; --top N for more, --json "
                       "for every one\n")
    assert shown("--top", "5") == ([1, 2, 3, 4, 5], "")


def test_the_bracket_is_a_tree_from_the_final_down_to_the_quarter_finals(
        seeded: Ledger) -> None:
    state = P.state_at(seeded, as_of=parse_moment("2024-04-12"))
    tree = text_of(render.bracket_tree(P.bracket(state, "uel-2023-24"), render.Names(state)))
    lines = tree.splitlines()
    final = next(i for i, line in enumerate(lines) if "F · winner of SF1 v winner of SF2" in line)
    sf1 = next(i for i, line in enumerate(lines)
               if "SF1 · Benfica or Marseille v Liverpool or Atalanta" in line)
    qf4 = next(i for i, line in enumerate(lines) if "QF4 · Benfica v Marseille" in line)
    assert final < sf1 < qf4
    assert lines[sf1].index("SF1") > lines[final].index("F ·")  # nested under the final
    assert lines[qf4].index("QF4") > lines[sf1].index("SF1")
    assert "2-1, 18 Apr · agg 2-1 · open" in tree


def test_the_log_describes_each_event_in_words(seeded: Ledger) -> None:
    words = [render.describe(env.event) for env in seeded.read(stream="match:uel24-qf4-leg2")]
    assert "⚽ marseille: Faris Moumbagna 79'" in words
    assert "kick benfica: Angel Di Maria missed" in words
    assert words[-2:] == ["PSO ends", "full time"]
    final = FixtureScheduled(match="final", date=dt.date(2024, 5, 22), tie="F", home="atalanta",
                             away="leverkusen")
    assert render.describe(final) == "final: atalanta v leverkusen F leg 1, 22 May 2024"


def test_completion_offers_the_ids_in_the_ledger(seeded: Ledger) -> None:
    ctx: Any = SimpleNamespace(params={"db": str(seeded.path)})
    assert complete_match(ctx, "uel24-qf4") == ["uel24-qf4-leg1", "uel24-qf4-leg2"]
    assert complete_team(ctx, "le") == ["leverkusen"]
    ctx.params = {"db": str(Path(seeded.path).with_name("missing.db"))}
    assert complete_match(ctx, "") == []


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("matchledger ")


def test_each_standard_input_is_told_by_its_own_first_lines(tmp_path: Path) -> None:
    """Read ahead to tell its format, standard input is given back whole, and a second
    command in the same process (another stdin) does not see the first one's lines."""
    runner = CliRunner()
    season = "= Test Cup 2023/24\n\n▪ Final\nSat May/25 2024\n  20:00  Alpha FC  2-1  Beta SC\n"
    first = runner.invoke(app, ["import", "-", "--db", str(tmp_path / "a.db")], input=season)
    assert first.exit_code == 0, first.output
    exported = runner.invoke(app, ["export", "--db", str(tmp_path / "a.db")]).output
    second = runner.invoke(app, ["import", "-", "--db", str(tmp_path / "b.db")],
                           input="\n" + exported)
    assert second.exit_code == 0, second.output
    assert "imported 6 events" in second.output

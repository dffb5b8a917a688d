"""Every line form of Football.TXT and football.json read to the letter: what a file says is
what the ledger holds, and nothing it does not say is made up (a team named after a score)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app
from matchledger.events import (
    CardShown,
    Event,
    FixtureScheduled,
    MatchAbandoned,
    PlayerRegistered,
    ResultReported,
    SubstitutionMade,
    TeamRegistered,
)
from matchledger.ledger import Ledger, LedgerError
from matchledger.ledger.sources import (
    AmbiguousTeam,
    ParseError,
    SourceError,
    import_source,
    parse_football_txt,
    read_source,
)
from matchledger.projections import bracket, state_at

DATA = Path(__file__).parent / "data"

FORMS = """= Forms Cup 2024
▪▪ Group A
[Sat May/25 2024]
  Alpha  2-1 (1-0)  Beta
  Gamma  3-0 awd.  Delta
  Alpha  abd.  Gamma
  Beta  [postponed]  Delta
▪ Final
[Sat Jun/1 2024]
  Alpha  1-1 a.e.t., 1-3 pen.  Beta
    (Ann 10'; Bob 80')
"""


E = TypeVar("E", bound=Event)


def _events(lg: Ledger, kind: type[E]) -> list[E]:
    return [e.event for e in lg.read(types=[kind.__name__]) if isinstance(e.event, kind)]


def test_a_shoot_out_between_the_teams_decides_the_final_and_invents_no_team(
        tmp_path: Path) -> None:
    path = tmp_path / "forms.txt"
    path.write_text(FORMS, encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    import_source(lg, path)
    teams = sorted(e.team for e in _events(lg, TeamRegistered))
    assert teams == ["alpha", "beta", "delta", "gamma"]
    results = {(r.source or "").rsplit(":", 1)[-1]: r for r in _events(lg, ResultReported)}
    final = results["10"]
    assert (final.full_time, final.extra_time, final.penalties) == ((1, 1), (1, 1), (1, 3))
    assert results["5"].full_time == (3, 0)  # awarded: the result stands as given
    assert len(_events(lg, MatchAbandoned)) == 1
    rounds = {f.round for f in _events(lg, FixtureScheduled)}
    assert "Group A" in rounds  # "▪▪ Group A", as written
    lg.close()


def test_group_names_as_written_in_both_formats_and_matched_case_insensitively(
        tmp_path: Path) -> None:
    txt, js = tmp_path / "forms.txt", tmp_path / "cup_2023.json"
    txt.write_text(FORMS, encoding="utf-8")
    js.write_text(json.dumps({"name": "Json Cup 2023", "matches": [
        {"round": "Group B", "date": "2023-06-01", "team1": "Kilo", "team2": "Lima",
         "score": {"ft": [1, 0]}},
        {"round": "Group B", "date": "2023-06-05", "team1": "Lima", "team2": "Mike",
         "score": {"ft": [2, 2]}}]}), encoding="utf-8")
    db = str(tmp_path / "l.db")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(txt), str(js), "--db", db]).exit_code == 0
    for comp, asked, team in (("forms-cup-2024", "group a", "gamma"),
                              ("json-cup-2023", "GROUP  b", "kilo")):
        out = runner.invoke(app, ["table", comp, "--group", asked, "--json", "--db", db])
        assert out.exit_code == 0, out.output
        assert team in {row["team"] for row in json.loads(out.output)}


LINEUPS = """= Euro 2024
▪ Group A
 (1) Fri Jun/14 21:00         Germany   5-1 (3-0)  Scotland     @ München Fußball Arena, München
        [Wirtz 10' Musiala 19' Havertz 45+1' (pen.) Füllkrug 68' Can 90+3'; Rüdiger 87' (o.g.)]

  Germany:    Neuer - Kimmich, Rüdiger, Tah [Y], Mittelstädt - Andrich [Y] (46' Groß),
              Kroos (80' Can) - Musiala (74' Müller), Gündogan, Wirtz (63' Sane) -
              Havertz (63' Füllkrug).
  Scotland:   Gunn - Porteous [R 44'], Hendry, Tierney (78' McKenna) - Ralston [Y],
              McTominay, McGregor [Y/R 90+2'], Robertson - Christie (Shankland 82'),
              Adams (46' Hanley (88' Mid [Y])), McGinn.
"""


def test_line_ups_become_players_cards_and_substitutions(tmp_path: Path) -> None:
    path = tmp_path / "euro.txt"
    path.write_text(LINEUPS, encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    summary = import_source(lg, path)
    assert (summary.players, summary.cards, summary.substitutions) == (31, 7, 9)
    assert summary.line_kinds["lineup"] == 6 and summary.line_kinds["match"] == 1
    assert sum(summary.line_kinds.values()) == len(LINEUPS.splitlines())
    players = {(e.team, e.name) for e in _events(lg, PlayerRegistered)}
    assert ("scotland", "Mid") in players and ("germany", "Groß") in players
    subs = {(s.team, s.player_off, s.player_on, s.minute) for s in
            _events(lg, SubstitutionMade)}
    assert ("scotland", "Hanley", "Mid", 88) in subs and ("germany", "Kroos", "Can", 80) in subs
    cards = [(c.player, c.card.value, c.minute, c.added) for c in _events(lg, CardShown)
             if c.player == "McGregor"]
    assert cards == [("McGregor", "yellow", None, None), ("McGregor", "second_yellow", 90, 2)]
    lg.close()


def test_a_goal_by_a_player_who_went_off_refuses_the_file_naming_its_line(
        tmp_path: Path) -> None:
    path = tmp_path / "euro.txt"
    path.write_text(LINEUPS.replace("Can 90+3'", "Kroos 90+3'"), encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    with pytest.raises(LedgerError, match=r"euro.txt:4: .*Kroos \(germany\) went off at 80'"):
        import_source(lg, path)
    assert lg.head() == 0
    lg.close()


@pytest.mark.parametrize(("lineup", "problem"), [
    ("Germany: Neuer - Kimmich 46'", "a minute for Kimmich, who started"),
    ("Germany: Neuer - Kimmich (Groß)", "no minute for Groß, who came on"),
    ("Germany: Neuer - Kimmich (46' Groß", "a bracket never closed"),
    ("Germany: Neuer [Y] [Y]", "two yellow cards for Neuer"),
    ("Germany: Neuer [X]", "cannot read the line-up at '[X]'"),
    ("Germany: Neuer; Kimmich", "cannot read the line-up at '; Kimmich'"),
    ("Germany: Neuer Kimmich (46' Groß) Tah", "a player after another"),
    ("Germany: , Neuer", "a player without a name"),
    ("Germany: Neuer\n  Germany: Neuer", "5: a second line-up of one side"),
])
def test_a_malformed_line_up_is_refused_with_its_line(lineup: str, problem: str) -> None:
    text = "= Cup 2024\n[Sat Jun/1]\n  Germany  1-0  Scotland\n  " + lineup + "\n"
    with pytest.raises(ParseError) as err:
        parse_football_txt(text, "bad.txt")
    assert str(err.value).startswith("bad.txt:") and problem in str(err.value)
    assert str(err.value).startswith("bad.txt:4: ") or problem.startswith("5:")


def test_a_line_up_of_a_match_not_played_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cup.txt"
    path.write_text("= Cup 2024\n[Sat Jun/1]\n  Germany  v  Scotland\n  Germany: Neuer\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match="cup.txt:4: a line-up of a match not played"):
        import_source(Ledger(tmp_path / "l.db"), path)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.txt")))
def test_every_line_of_every_real_file_is_accounted_for(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8-sig")
    lines = read_source(DATA / name).lines
    assert sum(lines.values()) == len(text.splitlines())
    assert lines["match"] == len(read_source(DATA / name).matches)


SPELT = """= Spelt League 2024
» Matchday 1
[Sat May/25 2024]
  Alpha  2-1  Beta
  Gamma  1-0  Delta
» Matchday 2
[Sat Jun/1 2024]
  Alpha Rotterdam  1-1  Gamma
  Beta  0-0  Delta
"""


def test_one_club_spelt_two_ways_in_one_file_is_refused_until_an_alias_settles_it(
        tmp_path: Path) -> None:
    path = tmp_path / "spelt.txt"
    path.write_text(SPELT, encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    with pytest.raises(AmbiguousTeam, match="'Alpha Rotterdam' and 'Alpha' may be one club"):
        import_source(lg, path)
    assert lg.head() == 0
    import_source(lg, path, aliases={"Alpha Rotterdam": "alpha"})
    assert sorted(e.team for e in _events(lg, TeamRegistered)) == ["alpha", "beta", "delta",
                                                                    "gamma"]
    lg.close()


def test_two_clubs_of_one_city_in_one_round_are_two_clubs(tmp_path: Path) -> None:
    path = tmp_path / "spelt.txt"
    path.write_text(SPELT.replace("» Matchday 2\n", ""), encoding="utf-8")  # one round
    lg = Ledger(tmp_path / "l.db")
    assert len(import_source(lg, path).teams_new) == 5
    lg.close()


@pytest.mark.parametrize("definition", ["Group A | Germany   Scotland",
                                        "Group A: Germany, Scotland",
                                        "▪ Group A  :  Germany  Scotland"])
def test_group_definitions_with_a_bar_or_a_colon_name_a_group_not_a_round(
        definition: str) -> None:
    text = f"= Cup 2024\n{definition}\n[Sat Jun/1]\n  Germany  1-0  Scotland\n"
    season = parse_football_txt(text, "cup.txt")
    assert dict(season.groups) == {"Group A": ("Germany", "Scotland")}
    assert season.matches[0].round == ""


@pytest.mark.parametrize(("team", "problem"), [
    ("a.e.t., 1-3 pen. Beta", "it holds a score"),
    ("Beta 45'", "it holds a minute"),
    ("Beta [postponed]", "it holds a bracket"),
    ("Beta pen.", "it holds a result marker"),
    ("1-0", "it has no letter"),
])
def test_football_json_refuses_a_team_name_that_is_no_name(team: str, problem: str) -> None:
    from matchledger.ledger.sources import parse_football_json

    text = json.dumps({"name": "Cup 2024", "matches": [
        {"round": "Final", "date": "2024-05-25", "team1": "Alpha", "team2": team,
         "score": {"ft": [1, 1]}}]})
    with pytest.raises(ParseError, match=re.escape(problem)) as err:
        parse_football_json(text, "cup.json")
    assert str(err.value).startswith("cup.json:1: matches[0].team2: ")


def test_a_second_yellow_without_a_minute_follows_a_yellow_with_one(tmp_path: Path) -> None:
    path = tmp_path / "cup.txt"
    path.write_text("= Cup 2024\n[Sat Jun/1]\n  Germany  1-0  Scotland\n"
                    "  Germany: Neuer - Tah [Y 30'] [Y/R], Kroos\n", encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    import_source(lg, path)
    cards = [(c.card.value, c.minute) for c in _events(lg, CardShown)]
    assert cards == [("yellow", 30), ("second_yellow", None)]
    lg.close()


def test_a_postponed_match_played_later_makes_one_tie_not_two_legs(tmp_path: Path) -> None:
    path = tmp_path / "cup.txt"
    path.write_text("= Cup 2024\n» Final\n[Sat Jun/1]\n  Alpha  v  Beta  [postponed]\n"
                    "[Sat Jun/8]\n  Alpha  2-1  Beta\n", encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    summary = import_source(lg, path)
    assert summary.matches == 1
    assert any("cup.txt:4 postponed" in note for note in summary.inferred)
    [tie] = [t for r in bracket(state_at(lg), summary.competition).rounds for t in r.ties]
    assert (tie.winner, tie.decided_by) == ("alpha", "aggregate")
    lg.close()


def test_the_issue_line_decides_the_final_with_two_teams_and_says_what_it_assumed(
        tmp_path: Path) -> None:
    path = tmp_path / "cup.txt"
    path.write_text("= Cup 2024\n» Final\n[Sat Jun/1]\n  Alpha  1-1 a.e.t., 1-3 pen.  Beta\n",
                    encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    summary = import_source(lg, path)
    assert sorted(e.team for e in _events(lg, TeamRegistered)) == ["alpha", "beta"]
    [tie] = [t for r in bracket(state_at(lg), summary.competition).rounds for t in r.ties]
    assert (tie.winner, tie.decided_by) == ("beta", "penalties")
    assert any("cup.txt:4: the score after 90 minutes is not given" in note
               for note in summary.inferred)
    lg.close()


def test_the_line_ups_of_a_real_tournament_file(tmp_path: Path) -> None:
    lg = Ledger(tmp_path / "l.db")
    summary = import_source(lg, DATA / "euro_2024_excerpt.txt")
    assert (summary.players, summary.cards, summary.substitutions) == (101, 19, 38)
    assert summary.line_kinds["lineup"] == 23
    assert any("euro_2024_excerpt.txt:69: minute 91 read as 90+1" in w
               for w in summary.warnings)
    schmid = [s for s in _events(lg, SubstitutionMade) if s.player_on == "Schmid"]
    assert [(s.player_off, s.minute, s.added) for s in schmid] == [("Laimer", 90, 1)]
    scorers = {e.event.player for e in lg.read(types=["GoalScored"])}  # type: ignore[attr-defined]
    assert "Williams" in scorers and "Williams'" not in scorers
    lg.close()

"""Every line form of Football.TXT and football.json read to the letter: what a file says is
what the ledger holds, and nothing it does not say is made up (a team named after a score)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from events import FixtureScheduled, MatchAbandoned, ResultReported, TeamRegistered
from ledger import Ledger
from ledger.sources import import_source

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


def _events(lg: Ledger, kind: type) -> list:
    return [e.event for e in lg.read(types=[kind.__name__])]


def test_a_shoot_out_between_the_teams_decides_the_final_and_invents_no_team(
        tmp_path: Path) -> None:
    path = tmp_path / "forms.txt"
    path.write_text(FORMS, encoding="utf-8")
    lg = Ledger(tmp_path / "l.db")
    import_source(lg, path)
    teams = sorted(e.team for e in _events(lg, TeamRegistered))
    assert teams == ["alpha", "beta", "delta", "gamma"]
    results = {r.source.rsplit(":", 1)[1]: r for r in _events(lg, ResultReported)}
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

"""A team registered again under a new name: every view names it the same way.

The judge's registry and the views' fold merge registrations by one rule (``events.team``):
the latest name, and every earlier name kept as an alias (the ledger still resolves it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app
from matchledger.events import (
    CompetitionCreated,
    CompetitionFormat,
    FixtureScheduled,
    GoalScored,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    TeamRegistered,
)
from matchledger.events.team import Team, registered
from matchledger.ledger import Ledger

from conftest import KICKOFF, drafts

runner = CliRunner()


def test_registering_again_renames_and_keeps_the_old_name_as_an_alias() -> None:
    team = registered(None, TeamRegistered(team="lev", name="Leverkusen", country="GER"), "bl")
    team = registered(team, TeamRegistered(team="lev", name="Bayer 04 Leverkusen",
                                           aliases=("Bayer Leverkusen",)), "uel")
    assert team == Team(id="lev", name="Bayer 04 Leverkusen", country="GER",
                        aliases=("Bayer Leverkusen", "Leverkusen"), competitions=("bl", "uel"))


@pytest.fixture
def renamed(db_path: Path) -> Path:
    """A league match of ``lev``, registered as "Leverkusen", then as "Bayer 04 Leverkusen"."""
    with Ledger(db_path) as lg:
        lg.append("competition:bl", drafts(
            CompetitionCreated(competition="bl", name="Bundesliga", season="2023/24",
                               format=CompetitionFormat.LEAGUE),
            TeamRegistered(team="lev", name="Leverkusen", country="GER"),
            TeamRegistered(team="svw", name="Werder Bremen", country="GER"),
            TeamRegistered(team="lev", name="Bayer 04 Leverkusen", country="GER"),
            FixtureScheduled(match="lev-svw", date=KICKOFF.date(), kickoff=KICKOFF,
                             home="lev", away="svw"),
            start=KICKOFF.replace(day=1)))
        lg.append("match:lev-svw", drafts(
            MatchStarted(), PeriodStarted(period=Period.FIRST_HALF),
            GoalScored(team="lev", player="Florian Wirtz", minute=10),
            PeriodEnded(period=Period.FIRST_HALF), PeriodStarted(period=Period.SECOND_HALF),
            PeriodEnded(period=Period.SECOND_HALF), MatchEnded()))
    return db_path


@pytest.mark.parametrize("args", [
    ["table", "bl"],
    ["streaks", "lev"],
    ["players", "--team", "lev"],
], ids=["table", "streaks", "players"])
def test_a_renamed_team_has_one_name_in_every_view(renamed: Path, args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--db", str(renamed)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Leverkusen" in result.stdout
    assert "Bayer 04" not in result.stdout  # its short name, as the table shows it

"""Competition facts: one fold (``events.competition``) for the judge and the views.

A competition fact is changed by recording it again, never retracted. The judge refused a
retraction of one while the views' own fold undid it, bringing back the fact before: a log
holding one (written around the judge, by the bare ``EventStore``) showed the views one
fixture and one team name and the judge another. Both now fold it by the same rule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from matchledger.events import (
    CompetitionCreated,
    EventRetracted,
    FixtureScheduled,
    PlayerRegistered,
    TeamRegistered,
    TieDrawn,
)
from matchledger.events.catalogue import Side
from matchledger.events.competition import (
    FACTS_STAND,
    CompetitionFacts,
    Fixture,
    fact_key,
    fold_fact,
    standing_legs,
)
from matchledger.events.team import Team
from matchledger.ledger import Draft, EventStore, Ledger, RuleBroken
from matchledger.ledger.validate import CompetitionState, Judge
from matchledger.projections import fold_all

from conftest import KICKOFF, drafts

FIRST, SECOND = dt.date(2024, 5, 1), dt.date(2024, 5, 8)


def test_the_latest_fact_at_a_key_stands_and_a_team_merges() -> None:
    facts = CompetitionFacts()
    for event in (TeamRegistered(team="lev", name="Leverkusen"),
                  TeamRegistered(team="lev", name="Bayer 04 Leverkusen"),
                  FixtureScheduled(match="f1", date=FIRST),
                  FixtureScheduled(match="f1", date=SECOND, home="lev")):
        fold_fact(facts, event, "uel")
    assert facts.teams["lev"] == Team(id="lev", name="Bayer 04 Leverkusen",
                                      aliases=("Leverkusen",), competitions=("uel",))
    assert facts.fixtures["f1"] == Fixture(competition="uel", match="f1", date=SECOND,
                                           home="lev")


@pytest.mark.parametrize("event, key", [
    (CompetitionCreated(competition="uel", name="UEL", season="2023/24"), ("competition", "uel")),
    (TeamRegistered(team="lev", name="Leverkusen"), ("team", "lev")),
    (PlayerRegistered(team="lev", name="Wirtz"), ("player", "lev", "Wirtz")),
    (TieDrawn(round="F", tie="F", sides=(Side(team="a"), Side(team="b"))), ("tie", "uel", "F")),
    (FixtureScheduled(match="f1", date=FIRST), ("fixture", "f1")),
    (EventRetracted(event="e1", reason="typo"), None),
])
def test_each_fact_has_its_key_and_a_retraction_none(event: object, key: object) -> None:
    assert fact_key(event, "uel") == key  # type: ignore[arg-type]


def test_an_abandoned_leg_gives_way_to_its_replay_and_stands_alone() -> None:
    first = Fixture(competition="uel", match="l1", date=FIRST, tie="F", leg=1)
    replay = Fixture(competition="uel", match="l1-replay", date=SECOND, tie="F", leg=1)
    second = Fixture(competition="uel", match="l2", date=SECOND, tie="F", leg=2)
    abandoned = {"l1", "l2"}.__contains__
    assert standing_legs([first, replay, second], abandoned) == [replay, second]
    assert standing_legs([first, second], abandoned) == [first, second]


@pytest.fixture
def retracted(db_path: Path) -> tuple[Path, str]:
    """A competition whose fixture f1 and team lev were each recorded twice, the second
    time retracted by an event the judge would refuse (the refusal is returned)."""
    with Ledger(db_path) as lg:
        lg.append("competition:uel", drafts(
            CompetitionCreated(competition="uel", name="Europa League", season="2023/24"),
            TeamRegistered(team="lev", name="Leverkusen"),
            TeamRegistered(team="rom", name="Roma"),
            FixtureScheduled(match="f1", date=FIRST, home="lev", away="rom"),
            start=KICKOFF.replace(day=1)))
        renamed, moved = lg.append("competition:uel", drafts(
            TeamRegistered(team="lev", name="Bayer 04 Leverkusen"),
            FixtureScheduled(match="f1", date=SECOND, home="lev", away="rom"),
            start=KICKOFF.replace(day=2)))
        undo = [Draft(event=EventRetracted(event=e.event_id, reason="typed in error"),
                      occurred_at=KICKOFF.replace(day=3)) for e in (renamed, moved)]
        with pytest.raises(RuleBroken) as refused:
            lg.append("competition:uel", undo[1:])
    with EventStore(db_path) as bare:  # admits anything: the log holds what the judge refused
        bare.append("competition:uel", undo)
    return db_path, str(refused.value)


def test_a_retracted_competition_fact_stands_for_the_judge_and_the_views(
        retracted: tuple[Path, str]) -> None:
    path, refusal = retracted
    assert refusal.endswith(FACTS_STAND)
    with Ledger(path) as lg:
        views = fold_all(lg.read())
        judge = Judge()
        _, comp = judge.state(lg.conn, "competition:uel")
        registry = judge.registry(lg.conn)
    assert isinstance(comp, CompetitionState)
    assert views.fixtures["f1"] == comp.fixtures["f1"]
    assert views.fixtures["f1"].date == SECOND
    assert views.teams["lev"] == registry.teams["lev"]
    assert views.teams["lev"].name == "Bayer 04 Leverkusen"

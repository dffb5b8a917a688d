"""Fixtures: a real ledger file on tmp_path, a small two-legged tie ready to play, and a
PostgreSQL database for each test that asks for one (``pg_url``)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from matchledger.events import (
    CompetitionCreated,
    Event,
    FixtureScheduled,
    Side,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.ledger import Draft, Ledger
from matchledger.ledger.sources import ParsedGoal, ParsedMatch, ParsedResult

CEST = dt.timezone(dt.timedelta(hours=2))
KICKOFF = dt.datetime(2024, 4, 11, 21, 0, tzinfo=CEST)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled seed (the demo's events) imported once a session, for ``demo_db`` to copy."""
    from matchledger.cli.demo import seed_lines
    from matchledger.ledger import import_lines

    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    with Ledger(path) as lg:
        import_lines(lg, seed_lines())
    assert not Path(f"{path}-wal").exists()  # closed: the one file holds it all
    return path


@pytest.fixture
def demo_db(db_path: Path, demo_template: Path) -> Path:
    """A ledger file of a test's own holding the bundled seed (the demo's events)."""
    shutil.copyfile(demo_template, db_path)
    return db_path


@pytest.fixture
def ledger(db_path: Path) -> Iterator[Ledger]:
    lg = Ledger(db_path)
    yield lg
    lg.close()


def at(minutes: float, start: dt.datetime = KICKOFF) -> dt.datetime:
    return start + dt.timedelta(minutes=minutes)


def drafts(*events: Event, start: dt.datetime = KICKOFF) -> list[Draft]:
    """Drafts a minute apart from ``start``."""
    return [Draft(event=e, occurred_at=at(i, start)) for i, e in enumerate(events)]


def played(match: ParsedMatch) -> ParsedResult:
    """The result of a match the test knows was played."""
    assert match.result is not None, match.where
    return match.result


def scorers(match: ParsedMatch) -> tuple[ParsedGoal, ...]:
    """The goals of a match whose source lists its scorers."""
    assert match.goals is not None, match.where
    return match.goals


def setup_tie(lg: Ledger, *, away_goals: bool = False, legs: int = 2,
              rules: TieRules | None = None) -> None:
    """Competition "cup" (its level-tie ``rules``, or away goals): Benfica v Marseille, tie T1,
    matches t1-leg1 and t1-leg2."""
    draw = dt.datetime(2024, 3, 15, 12, 0, tzinfo=dt.UTC)
    created = CompetitionCreated(competition="cup", name="Cup", season="2023/24")
    if away_goals:
        created = CompetitionCreated(competition="cup", name="Cup", season="2019/20",
                                     rules=TieRules(away_goals=True))
    if rules is not None:
        created = attrs.evolve(created, rules=rules)
    events: list[Event] = [
        created,
        TeamRegistered(team="benfica", name="Benfica", country="POR"),
        TeamRegistered(team="marseille", name="Olympique de Marseille", country="FRA",
                       aliases=("Marseille", "Olympique Marseille")),
        TieDrawn(round="QF", tie="T1", sides=(Side(team="benfica"), Side(team="marseille")),
                 legs=legs),
        FixtureScheduled(match="t1-leg1", tie="T1", leg=1, round="QF", home="benfica",
                         away="marseille", date=KICKOFF.date(), kickoff=KICKOFF),
    ]
    if legs == 2:
        second = KICKOFF + dt.timedelta(days=7)
        events.append(FixtureScheduled(match="t1-leg2", tie="T1", leg=2, round="QF",
                                       home="marseille", away="benfica", date=second.date(),
                                       kickoff=second))
    lg.append("competition:cup", drafts(*events, start=draw), expected_version=-1)


PG_ENV = "MATCHLEDGER_TEST_PG"  # a PostgreSQL URL the tests may make schemas in (.ci/run's)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a PostgreSQL server: ``MATCHLEDGER_TEST_PG``, or else a throwaway cluster
    started here (tests/pgcluster.py) and stopped after; the test skips, saying why, where
    there is neither psycopg nor a server to be had."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")
    given = os.environ.get(PG_ENV)
    if given:
        yield given
        return
    import pgcluster

    if pgcluster.binaries() is None:
        pytest.skip(f"no PostgreSQL: {PG_ENV} is unset and no server binaries (initdb) here")
    directory = tempfile.mkdtemp(prefix="matchledger-pg-")
    os.chmod(directory, 0o755)
    try:
        url = pgcluster.start(Path(directory))
    except (RuntimeError, OSError) as e:
        pgcluster.stop(Path(directory))
        pytest.skip(f"no PostgreSQL: {PG_ENV} is unset and a cluster would not start: {e}")
    try:
        yield url
    finally:
        pgcluster.stop(Path(directory))


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A ledger location on PostgreSQL of this test's own: a fresh schema, named in the URL
    (``options=-csearch_path=...``), dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}".encode())
    sep = "&" if "?" in pg_server else "?"
    try:
        yield f"{pg_server}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())

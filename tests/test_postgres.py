"""The ledger on PostgreSQL: what the database itself guarantees (append-only, a role that
cannot change the log), and that the chain is the same as SQLite's, hash for hash.

The store contract (tests/test_store_contract.py) runs on both backends; these are the
guarantees that PostgreSQL makes in its own way.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest

from matchledger.events import CompetitionCreated, TeamRegistered
from matchledger.ledger import NO_STREAM, Draft, EventStore, Ledger, LedgerError

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")

WHEN = dt.datetime(2024, 3, 15, 12, 0, tzinfo=dt.UTC)


def drafts() -> list[Draft]:
    """The same facts each call: ids and both clocks fixed, so two stores hash them alike."""
    events = [CompetitionCreated(competition="cup", name="Cup", season="2023/24"),
              TeamRegistered(team="roma", name="AS Roma", country="ITA", aliases=("Roma",)),
              TeamRegistered(team="milan", name="AC Milan", country="ITA")]
    return [Draft(event=e, occurred_at=WHEN + dt.timedelta(minutes=i),
                  recorded_at=WHEN + dt.timedelta(minutes=i, seconds=1),
                  event_id=str(uuid.UUID(int=i + 1)), meta={"source": "test"} if i else {})
            for i, e in enumerate(events)]


def test_the_chain_is_sqlites_hash_for_hash(tmp_path: Path, pg_url: str) -> None:
    with Ledger(tmp_path / "a.db") as lite, Ledger(pg_url) as pg:
        written = [store.append("competition:cup", drafts(), expected_version=NO_STREAM)
                   for store in (lite, pg)]
        assert written[0] == written[1]
        assert list(lite.read_stored()) == [tuple(bytes(c) if isinstance(c, memoryview) else c
                                                  for c in row) for row in pg.read_stored()]
        assert lite.anchor() == pg.anchor()


@pytest.mark.parametrize("statement", [
    "UPDATE events SET data = '{}' WHERE position = 1",
    "DELETE FROM events WHERE position = 1",
    "TRUNCATE events",
])
def test_the_database_refuses_to_change_the_log(pg_url: str, statement: str) -> None:
    with EventStore(pg_url) as store:
        store.append("competition:cup", drafts(), expected_version=NO_STREAM)
    with psycopg.connect(pg_url, autocommit=True) as raw:
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"):
            raw.execute(statement)
        assert raw.execute("SELECT count(*) FROM events").fetchone() == (3,)


def test_a_role_granted_select_and_insert_appends_and_cannot_change_the_log(
        pg_url: str) -> None:
    role = f"writer_{uuid.uuid4().hex[:8]}"
    with EventStore(pg_url) as store:  # the owner makes the schema
        store.append("competition:cup", drafts()[:1], expected_version=NO_STREAM)
    schema = pg_url.rpartition("%3D")[2]
    with psycopg.connect(pg_url, autocommit=True) as owner:
        owner.execute(f"CREATE ROLE {role} LOGIN".encode())
        owner.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}; GRANT SELECT, INSERT ON "
                      f"events TO {role}".encode())
    as_role = pg_url.replace("postgres@", f"{role}@", 1)
    try:
        with Ledger(as_role) as writer:
            writer.append("competition:cup", drafts()[1:], expected_version=0)
            assert writer.head() == 3
        with psycopg.connect(as_role, autocommit=True) as raw:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute("DELETE FROM events")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute("UPDATE events SET meta = NULL")
    finally:
        with psycopg.connect(pg_url, autocommit=True) as owner:
            owner.execute(f"DROP OWNED BY {role}; DROP ROLE {role}".encode())


def test_a_database_that_cannot_be_reached_is_one_clear_error(pg_server: str) -> None:
    url = pg_server.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(LedgerError, match="cannot connect to .*no_such_database"):
        EventStore(url)


def test_a_ledger_opened_read_only_cannot_write(pg_url: str) -> None:
    with EventStore(pg_url) as store:
        store.append("competition:cup", drafts()[:1], expected_version=NO_STREAM)
    with Ledger(pg_url, read_only=True) as reader:
        assert [e.type for e in reader.read()] == ["CompetitionCreated"]
        with pytest.raises(sqlite3.OperationalError, match="read-only"):
            reader.append("competition:cup", drafts()[1:], expected_version=0)
        assert reader.head() == 1


def test_a_long_read_comes_a_part_at_a_time_and_outlives_appends_meanwhile(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import matchledger.ledger.postgres

    monkeypatch.setattr(matchledger.ledger.postgres, "STREAM_ROWS", 2)
    with Ledger(pg_url) as lg:
        lg.append("competition:cup", drafts(), expected_version=NO_STREAM)
        lg.append("competition:cup", [Draft(event=TeamRegistered(team=f"t{i}", name=f"T{i}"),
                                            occurred_at=WHEN) for i in range(4)])
        reading = lg.read()
        seen = [next(reading).position]
        lg.append("competition:cup", [Draft(event=TeamRegistered(team="late", name="Late"),
                                            occurred_at=WHEN)])  # a transaction, committed
        seen += [env.position for env in reading]
        assert seen[:7] == list(range(1, 8))
        assert [env.position for env in lg.read(after=7)] == [8]

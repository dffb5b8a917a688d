"""The ledger on PostgreSQL (psycopg 3, the ``postgres`` extra): the same ``events`` table,
reached through a connection that speaks the sqlite3 surface the store and the judge use.

A location ``postgresql://user@host/dbname`` (or ``postgres://``) opens it; a path keeps
SQLite. ``PgConnection`` is the whole of the dialect: ``execute``/``executemany`` with ``?``
parameters, a few SQLite spellings rewritten (``json_extract``, ``json_each``), psycopg's
errors raised as their ``sqlite3`` kin, so that every caller's error handling holds.

What SQLite gives for free is made true here by the database:

- append-only: triggers refuse UPDATE, DELETE and TRUNCATE on ``events`` (and a role granted
  only SELECT and INSERT cannot even try);
- gapless positions in commit order, which a follower never skips: every append takes one
  lock (``APPEND_LOCK``: readers go on, writers queue), reads the head and numbers its rows
  after it, as SQLite's single writer does; the lock is let go only once the commit is
  visible, so the next append numbers after it and no reader sees a later position first.
  The hash chain needs exactly that anyway: each row hashes the row before, so appends are
  ordered before they are written. The lock is an advisory one keyed by the table (what
  eventsourcing does with ``LOCK TABLE ... IN EXCLUSIVE MODE``, which would need UPDATE or
  DELETE granted), so a role granted only SELECT and INSERT appends;
- followers wake on ``LISTEN matchledger_events``: each append notifies at commit.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from matchledger.ledger.errors import LedgerError, NotALedger

if TYPE_CHECKING:
    import psycopg

# the appenders' queue: one advisory lock per events table (its oid: ledgers in other schemas
# do not wait for each other), held to the end of the transaction
APPEND_LOCK = "SELECT pg_advisory_xact_lock('events'::regclass::oid::bigint)"
CHANNEL = "matchledger_events"  # what an append NOTIFYs at commit, and followers LISTEN to

SCHEMES = ("postgresql://", "postgres://")

# the SQLite schema's columns and indexes; the data and meta columns stay text, byte for byte
# as hashed; "C" collation: streams compare by code point, as SQLite's do
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position       bigint  PRIMARY KEY,
    event_id       text    COLLATE "C" NOT NULL UNIQUE,
    stream         text    COLLATE "C" NOT NULL,
    version        integer NOT NULL,
    type           text    COLLATE "C" NOT NULL,
    schema_version integer NOT NULL,
    occurred_at    bigint  NOT NULL,
    recorded_at    bigint  NOT NULL,
    data           text    NOT NULL,
    meta           text,
    prev_hash      bytea   NOT NULL,
    hash           bytea   NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX IF NOT EXISTS events_fixture ON events (((data::jsonb) ->> 'match'))
    WHERE type = 'FixtureScheduled';
CREATE INDEX IF NOT EXISTS events_registry ON events (position)
    WHERE type IN ('TeamRegistered', 'PlayerRegistered');
CREATE INDEX IF NOT EXISTS events_retracted ON events (position)
    WHERE type = 'EventRetracted';
CREATE INDEX IF NOT EXISTS events_tie ON events (((data::jsonb) ->> 'tie'))
    WHERE type = 'TieDrawn';
CREATE OR REPLACE FUNCTION matchledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the % log is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION matchledger_append_only();
CREATE OR REPLACE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION matchledger_append_only();
CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION matchledger_append_only();
"""

TRIGGERS = frozenset({"events_no_update", "events_no_delete", "events_no_truncate"})


def is_postgres(location: object) -> bool:
    """Whether a ledger location names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.startswith(SCHEMES)


def shown(url: str) -> str:
    """``url`` without its password, to name the database in messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


_JSON_EXTRACT = re.compile(r"json_extract\((\w+), '\$\.(\w+)'\)")
_JSON_EACH = re.compile(r"SELECT value FROM json_each\(\?\)")


@functools.cache
def translate(sql: str) -> str:
    """SQLite's SQL as the store and the judge write it, in PostgreSQL's dialect.

    >>> translate("SELECT json_extract(data, '$.match') FROM events WHERE stream = ?")
    "SELECT ((data::jsonb) ->> 'match') FROM events WHERE stream = %s"
    >>> translate("x IN (SELECT value FROM json_each(?))")
    'x IN (SELECT jsonb_array_elements_text(%s::jsonb))'
    """
    sql = _JSON_EACH.sub("SELECT jsonb_array_elements_text(?::jsonb)", sql)
    sql = _JSON_EXTRACT.sub(r"((\1::jsonb) ->> '\2')", sql)
    out, quoted = [], False
    for char in sql:  # ? outside string literals is a parameter; % is psycopg's, doubled
        if char == "'":
            quoted = not quoted
        out.append("%s" if char == "?" and not quoted else "%%" if char == "%" else char)
    return "".join(out)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as e:
        raise LedgerError("a postgresql:// ledger needs psycopg: pip install "
                          "'matchledger[postgres]'") from e
    return psycopg


class PgConnection:
    """A psycopg connection (autocommit: transactions are begun and ended explicitly, as the
    store does with SQLite) behind the part of ``sqlite3.Connection`` the ledger uses."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._errors = _psycopg()
        self.listening = False

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.info.transaction_status != self._errors.pq.TransactionStatus.IDLE)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        with self._translated():
            return self.raw.execute(translate(sql), tuple(parameters))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        with self._translated():
            cursor = self.raw.cursor()
            cursor.executemany(translate(sql), rows)
            return cursor

    def script(self, sql: str) -> None:
        """Run statements without parameters (PostgreSQL's simple query: several at once)."""
        with self._translated():
            self.raw.execute(sql.encode())

    def close(self) -> None:
        self.raw.close()

    @functools.cached_property
    def _kin(self) -> tuple[tuple[type[Exception], type[Exception]], ...]:
        errors = self._errors
        return ((errors.IntegrityError, sqlite3.IntegrityError),
                (errors.OperationalError, sqlite3.OperationalError),
                (errors.ProgrammingError, sqlite3.OperationalError),
                (errors.DatabaseError, sqlite3.DatabaseError),
                (errors.Error, sqlite3.Error))

    def _translated(self) -> Any:
        return _Translated(self._kin)


class _Translated:
    """Raise a psycopg error as its sqlite3 kin (the message kept, the original chained)."""

    def __init__(self, kin: tuple[tuple[type[Exception], type[Exception]], ...]) -> None:
        self.kin = kin

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: object) -> None:
        if error is None:
            return
        for theirs, ours in self.kin:
            if isinstance(error, theirs):
                raise ours(str(error).strip()) from error


def connect(url: str, *, timeout: float = 30.0, create: bool = True) -> PgConnection:
    """A connection to the ledger in the database at ``url``, its schema made if ``create``
    and missing (under an advisory lock, so that racing creators agree)."""
    psycopg = _psycopg()
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
    except psycopg.Error as e:
        raise LedgerError(f"cannot connect to {shown(url)}: {str(e).strip()}") from e
    conn = PgConnection(raw)
    try:
        # a writer waits for the append lock at most ``timeout``, as SQLite's busy timeout
        raw.execute(f"SET lock_timeout = '{int(timeout * 1000)}ms'".encode())
        raw.execute(b"SET client_min_messages = warning")
        if create and not has_events(conn):
            with raw.transaction():
                raw.execute(b"SELECT pg_advisory_xact_lock(7306310391)")  # "matchledger"
                raw.execute(SCHEMA.encode())
        elif not has_events(conn):
            raise NotALedger(f"{shown(url)} holds no ledger (no events table)")
    except BaseException:
        raw.close()
        raise
    return conn


def has_events(conn: PgConnection) -> bool:
    row = conn.execute("SELECT to_regclass('events') IS NOT NULL").fetchone()
    return bool(row[0])


def triggers(conn: PgConnection) -> set[str]:
    """The names of the triggers on ``events`` (all three: it is append-only)."""
    return {row[0] for row in conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal")}


def wait_for_appends(conn: PgConnection, timeout: float) -> bool:
    """Block until an append commits (a NOTIFY on ``CHANNEL``) or ``timeout`` seconds pass;
    whether one did. The first call LISTENs; notifications while not waiting are kept."""
    if not conn.listening:
        conn.raw.execute(f"LISTEN {CHANNEL}".encode())
        conn.listening = True
    return any(True for _ in conn.raw.notifies(timeout=timeout, stop_after=1))

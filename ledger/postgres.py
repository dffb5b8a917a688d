"""The ledger on PostgreSQL (psycopg 3, the ``postgres`` extra): the same ``events`` table,
reached through a connection that speaks the sqlite3 surface the store and the judge use.

A location ``postgresql://user@host/dbname`` (or ``postgres://``) opens it; a path keeps
SQLite. ``PgConnection`` is the whole of the dialect: ``execute``/``executemany`` with ``?``
parameters, a few SQLite spellings rewritten (``json_extract``, ``json_each``, ``BEGIN
IMMEDIATE``, ``INSERT OR REPLACE`` ...), psycopg's errors raised as their ``sqlite3`` kin, so
that every caller's error handling holds; ``PgDatabase`` is the part of sqlite-utils the read
models use, so that they live in the same database, written in their checkpoint's transaction.
The judge and the projections run unchanged.

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

import contextlib
import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from matchledger.ledger.errors import LedgerError, NotALedger

if TYPE_CHECKING:
    import psycopg

# the appenders' queue: one advisory lock per events table (its oid: ledgers in other schemas
# do not wait for each other), held to the end of the transaction
APPEND_LOCK = "SELECT pg_advisory_xact_lock('events'::regclass::oid::bigint)"
CHANNEL = "matchledger_events"  # what an append NOTIFYs at commit, and followers LISTEN to
STREAM_ROWS = 5_000  # rows a long read fetches at a time

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
CREATE INDEX IF NOT EXISTS events_home ON events (((data::jsonb) ->> 'home'))
    WHERE type = 'FixtureScheduled';
CREATE INDEX IF NOT EXISTS events_away ON events (((data::jsonb) ->> 'away'))
    WHERE type = 'FixtureScheduled';
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

_BEGINS = {"BEGIN IMMEDIATE": APPEND_LOCK.encode(),
           "BEGIN DEFERRED": b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"}
_PLAIN_INSERT = re.compile(r"^INSERT INTO (\w+) \(([^)]*)\) VALUES \(\?(?:, ?\?)*\)$")
_OR_REPLACE = re.compile(r"^INSERT OR REPLACE INTO (\w+) \(([^)]*)\) (VALUES .*)$", re.S)

TRIGGERS = frozenset({"events_no_update", "events_no_delete", "events_no_truncate"})

CHECKPOINTS_SCHEMA = (  # ledger.trust's, in PostgreSQL's words
    """CREATE TABLE IF NOT EXISTS checkpoints (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position   bigint NOT NULL,
    hash       text   NOT NULL,
    signed_at  text   NOT NULL,
    key_id     text   NOT NULL,
    signature  bytea  NOT NULL
    )""",
    """CREATE OR REPLACE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION matchledger_append_only()""",
    """CREATE OR REPLACE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION matchledger_append_only()""",
)


def log_before(url: str) -> tuple[PgConnection, Callable[[int], None]]:
    """A connection of its own on which ``events`` is the log before a position (a temporary
    view, which shadows the table), and the function that moves it: ``verify``'s judge reads
    the log there as an append at that position did. One snapshot throughout."""
    conn = connect(url, create=False)
    conn.script("CREATE TEMP VIEW events AS SELECT * FROM events "
                "WHERE position < current_setting('matchledger.before')::bigint;"
                "SELECT set_config('matchledger.before', '0', false)")
    conn.script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def before(position: int) -> None:
        conn.execute("SELECT set_config('matchledger.before', ?, true)", (str(position),))

    return conn, before


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


_JSON_EXTRACT = re.compile(r"json_extract\(([\w.]+), '\$\.(\w+)'\)")
_JSON_EACH = re.compile(r"SELECT value FROM json_each\(\?\)")
_INSTR = re.compile(r"\binstr\(")
_INTEGER = re.compile(r"\btypeof\(\w+\) = 'integer'")  # a bigint column holds nothing else
_OR_IGNORE = re.compile(r"^INSERT OR IGNORE (INTO .*)$", re.S)
# sqlite_master as the checks read it: tables, triggers and indexes of the ledger's schema
_MASTER = """(SELECT 'table' AS type, c.relname::text AS name, c.relname::text AS tbl_name
    FROM pg_class c
    WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
  UNION ALL SELECT 'trigger', t.tgname::text, c.relname::text FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
  UNION ALL SELECT 'index', i.relname::text, c.relname::text FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
    WHERE c.relnamespace = current_schema()::regnamespace) AS sqlite_master"""


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
    sql = _INSTR.sub("strpos(", sql)
    sql = _INTEGER.sub("TRUE", sql)
    sql = _OR_IGNORE.sub(r"INSERT \1 ON CONFLICT DO NOTHING", sql)
    sql = sql.replace(" WITHOUT ROWID", "").replace("FROM sqlite_master", "FROM " + _MASTER)
    out, quoted = [], False
    for char in sql:  # ? outside string literals is a parameter; % is psycopg's, doubled
        if char == "'":
            quoted = not quoted
        out.append("%s" if char == "?" and not quoted else "%%" if char == "%" else char)
    return "".join(out)


def said(error: BaseException) -> str:
    """A server's error in one line: its first (the rest points into the SQL sent)."""
    return " ".join(str(error).strip().splitlines()[:1]) or type(error).__name__


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
        self._keys: dict[str, list[str]] = {}  # table -> its primary key's columns
        self._cursors = 0  # server-side cursors opened, to name each

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.info.transaction_status != self._errors.pq.TransactionStatus.IDLE)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        begin = _BEGINS.get(sql)  # SQLite's write lock: the appenders' queue; its snapshot
        if begin is not None:
            with self._translated():
                self.raw.execute(b"BEGIN")
                return self.raw.execute(begin)
        with self._translated():
            return self.raw.execute(self._replacing(translate(sql)), tuple(parameters))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        """Many rows through one statement; a plain INSERT of them all through COPY, which
        PostgreSQL takes two to three times as fast (the same constraints and triggers)."""
        copied = _PLAIN_INSERT.match(sql)
        with self._translated():
            cursor = self.raw.cursor()
            if copied is None:
                cursor.executemany(self._replacing(translate(sql)), rows)
                return cursor
            with cursor.copy(f"COPY {copied[1]} ({copied[2]}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return cursor

    def _replacing(self, sql: str) -> str:
        """SQLite's INSERT OR REPLACE as an upsert on the table's primary key."""
        found = _OR_REPLACE.match(sql)
        if found is None:
            return sql
        table, columns = found[1], [c.strip() for c in found[2].split(",")]
        key = self.primary_key(table)
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        return (f"INSERT INTO {table} ({found[2]}) {found[3]} ON CONFLICT ({', '.join(key)}) "
                + (f"DO UPDATE SET {sets}" if sets else "DO NOTHING"))

    def primary_key(self, table: str) -> list[str]:
        key = self._keys.get(table)
        if key is None:
            key = self._keys[table] = [row[0] for row in self.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
                "i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass "
                "AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)", (table,))]
        return key

    def stream(self, sql: str, parameters: Sequence[Any] = ()) -> Iterator[Any]:
        """The rows of a query that may be long (the whole log), fetched ``STREAM_ROWS`` at a
        time through a server-side cursor rather than held whole in this process; WITH HOLD,
        so that it outlives a transaction ended while it is read, as a sqlite3 cursor does."""
        self._cursors += 1
        cursor = self.raw.cursor(f"matchledger_rows_{self._cursors}", withhold=True)
        cursor.itersize = STREAM_ROWS
        try:
            with self._translated():
                cursor.execute(translate(sql), tuple(parameters))
                yield from cursor
        finally:
            with contextlib.suppress(Exception):  # the connection may be gone already
                cursor.close()

    def script(self, sql: str) -> None:
        """Run statements without parameters (PostgreSQL's simple query: several at once)."""
        with self._translated():
            self.raw.execute(sql.encode())

    def close(self) -> None:
        self.raw.close()

    @functools.cached_property
    def _kin(self) -> tuple[tuple[type[Exception], type[Exception]], ...]:
        errors = self._errors
        return ((errors.errors.ReadOnlySqlTransaction, sqlite3.OperationalError),
                (errors.IntegrityError, sqlite3.IntegrityError),
                (errors.OperationalError, sqlite3.OperationalError),
                (errors.ProgrammingError, sqlite3.OperationalError),
                (errors.DatabaseError, sqlite3.DatabaseError),
                (errors.Error, sqlite3.Error))

    def _translated(self) -> _Translated:
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
                raise ours(said(error)) from error


def connect(url: str, *, timeout: float = 30.0, create: bool = True,
            read_only: bool = False) -> PgConnection:
    """A connection to the ledger in the database at ``url``, its schema made if ``create``
    and missing (under an advisory lock, so that racing creators agree); ``read_only``, one
    whose every transaction the server keeps from writing, as a file opened read-only."""
    psycopg = _psycopg()
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
    except psycopg.Error as e:
        raise LedgerError(f"cannot connect to {shown(url)}: {said(e)}") from e
    conn = PgConnection(raw)
    try:
        # a writer waits for the append lock at most ``timeout``, as SQLite's busy timeout
        raw.execute(f"SET lock_timeout = '{int(timeout * 1000)}ms'".encode())
        raw.execute(b"SET client_min_messages = warning")
        if read_only:
            raw.execute(b"SET default_transaction_read_only = on")
        if create and not has_events(conn):
            with raw.transaction():
                raw.execute(b"SELECT pg_advisory_xact_lock(7306310391)")  # "matchledger"
                raw.execute(SCHEMA.encode())
        elif not has_events(conn):
            raise NotALedger(f"{shown(url)} holds no ledger (no events table)")
        elif not read_only and not indexes(conn) >= LATER_INDEXES:
            with raw.transaction():  # a ledger made before these indexes: they only speed reads
                raw.execute(b"SELECT pg_advisory_xact_lock(7306310391)")
                for statement in SCHEMA.split(";"):
                    if any(f"INDEX IF NOT EXISTS {name} " in statement for name in LATER_INDEXES):
                        raw.execute(statement.encode())
    except (psycopg.Error, sqlite3.Error) as e:  # a role that may not create tables, say
        raw.close()
        raise LedgerError(f"cannot open the ledger in {shown(url)}: {said(e)}") from e
    except BaseException:
        raw.close()
        raise
    return conn


# the indexes added to the schema after its first version, on either backend: a ledger
# opened for writing gets those it lacks
LATER_INDEXES = frozenset({"events_retracted", "events_tie", "events_home", "events_away"})


def indexes(conn: PgConnection) -> set[str]:
    """The names of the indexes on ``events``."""
    return {row[0] for row in conn.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'events'")}


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
    with conn._translated():  # a lost connection is sqlite3's OperationalError, as elsewhere
        if not conn.listening:
            conn.raw.execute(f"LISTEN {CHANNEL}".encode())
            conn.listening = True
        return any(True for _ in conn.raw.notifies(timeout=timeout, stop_after=1))


_TYPES = {str: "text", int: "bigint", float: "double precision", bytes: "bytea"}
_TYPES_BACK = {"text": str, "bigint": int, "integer": int, "double precision": float,
               "bytea": bytes}


class PgDatabase:
    """The part of ``sqlite_utils.Database`` the read models use (tables made, rows inserted
    and upserted, names and columns listed), on a ``PgConnection``: their tables live in the
    ledger's database, written in the same transactions as their checkpoint."""

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, parameters)

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename")]

    def table(self, name: str) -> PgTable:
        return PgTable(self.conn, name)

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self.conn, name)


class PgTable:
    """One table, as ``sqlite_utils.Table`` gives what the read models ask of it."""

    def __init__(self, conn: PgConnection, name: str) -> None:
        self.conn, self.name = conn, name

    def exists(self) -> bool:
        row = self.conn.execute("SELECT to_regclass(?) IS NOT NULL", (self.name,)).fetchone()
        return bool(row and row[0])

    @property
    def columns_dict(self) -> dict[str, type]:
        return {name: _TYPES_BACK.get(kind, str) for name, kind in self.conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE "
            "table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (self.name,))}

    @property
    def count(self) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {self.name}").fetchone()[0])

    def get(self, key: Any) -> dict[str, Any]:
        names = self.conn.primary_key(self.name)
        values = key if isinstance(key, tuple) else (key,)
        where = " AND ".join(f'"{n}" = ?' for n in names)
        cursor = self.conn.execute(f"SELECT * FROM {self.name} WHERE {where}", values)
        row = cursor.fetchone()
        if row is None:
            raise KeyError(key)
        return dict(zip([d.name for d in cursor.description], row, strict=True))

    def create(self, columns: dict[str, type], pk: str | tuple[str, ...],
               if_not_exists: bool = False) -> PgTable:
        keys = (pk,) if isinstance(pk, str) else pk
        body = ", ".join(f'"{c}" {_TYPES[t]}' + (" NOT NULL" if c in keys else "")
                         for c, t in columns.items())
        key = ", ".join(f'"{k}"' for k in keys)
        exists = "IF NOT EXISTS " if if_not_exists else ""
        self.conn.execute(f"CREATE TABLE {exists}{self.name} ({body}, PRIMARY KEY ({key}))")
        return self

    def create_index(self, columns: list[str], if_not_exists: bool = False) -> PgTable:
        exists = "IF NOT EXISTS " if if_not_exists else ""
        name = f"idx_{self.name}_{'_'.join(columns)}"
        self.conn.execute(f"CREATE INDEX {exists}{name} ON {self.name} "
                          f"({', '.join(columns)})")
        return self

    def insert(self, row: dict[str, Any]) -> PgTable:
        names = ", ".join(f'"{c}"' for c in row)
        self.conn.execute(f"INSERT INTO {self.name} ({names}) VALUES "
                          f"({', '.join('?' * len(row))})", tuple(row.values()))
        return self

    def upsert(self, row: dict[str, Any], pk: str | tuple[str, ...]) -> PgTable:
        keys = (pk,) if isinstance(pk, str) else pk
        names = ", ".join(f'"{c}"' for c in row)
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in row if c not in keys)
        key = ", ".join(f'"{k}"' for k in keys)
        self.conn.execute(f"INSERT INTO {self.name} ({names}) VALUES "
                          f"({', '.join('?' * len(row))}) ON CONFLICT ({key}) "
                          + (f"DO UPDATE SET {sets}" if sets else "DO NOTHING"),
                          tuple(row.values()))
        return self

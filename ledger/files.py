"""Opening a ledger file to read it, without writing a byte, and telling what a path is.

A read opens the file read-only (``mode=ro``): no switch to WAL, no table, index or trigger
created. A file whose ``events`` table, indexes or triggers are not the ones this ledger
creates, or whose format marker is unknown, is refused before anything touches it, so a
foreign SQLite file stays byte-identical.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> kind_of(folder)
    'a directory'
    >>> kind_of(os.path.join(folder, "nothing.db")) is None
    True
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import stat
from collections.abc import Mapping
from pathlib import Path

from matchledger.ledger.errors import LedgerError, NotALedger

APPLICATION_ID = 0x4D4C4447  # "MLDG" in the SQLite header: a matchledger ledger
LEDGER_FORMAT = 2  # PRAGMA user_version of the ledgers this code makes (0: before it had one;
# 1: each row held its prev_hash too; such a file is read and written in its own format)

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


def kind_of(path: str | Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file ("a directory", "a FIFO
    (named pipe)", ...); None for a regular file or nothing. Never opens it (a FIFO would
    block)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return next((name for test, name in _KINDS if test(mode)), None)


def marker_pragmas(version: int = LEDGER_FORMAT) -> str:
    """The statements that mark a file as a ledger of format ``version``."""
    return f"PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {version};"


def _objects(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """name -> (type, SQL without comments and spacing) of every object on the events table."""
    return {name: (kind, " ".join(re.sub(r"--[^\n]*", "", sql or "").split()))
            for kind, name, sql in conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'events'")}


@functools.cache
def _expected(schema: str) -> dict[str, tuple[str, str]]:
    """The ``_objects`` that ``schema`` creates (as SQLite stores them: IF NOT EXISTS
    dropped)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(schema)
        return _objects(conn)
    finally:
        conn.close()


def check_schema(conn: sqlite3.Connection, path: Path, schemas: Mapping[int, str], *,
                 whole: bool = True) -> int:
    """The format of the file (a key of ``schemas``, each format's schema) whose events
    table it holds. Refuse (NotALedger, one line) a file whose format marker is unknown, or
    whose events table, indexes or triggers are not what that schema creates (an index a
    newer version added may be missing: it only speeds reads up). Not ``whole``: the marker
    and the table alone, for ``verify``, which names a changed trigger or index itself."""
    app, version = (conn.execute(f"PRAGMA {p}").fetchone()[0]
                    for p in ("application_id", "user_version"))
    if app not in (0, APPLICATION_ID) or not 0 <= version <= LEDGER_FORMAT:
        raise NotALedger(f"{path} is not a matchledger ledger of a format this version knows "
                         f"(application_id {app}, user_version {version})")
    found = _objects(conn)
    table = found.get("events")
    fmt = next((f for f, schema in schemas.items() if _expected(schema)["events"] == table),
               max(schemas))
    expected = _expected(schemas[fmt])
    if not whole:
        found = {n: v for n, v in found.items() if v[0] == "table"}
    for name, (kind, sql) in found.items():
        if expected.get(name) != (kind, sql):
            what = "table" if kind == "table" else f"{kind} {name}"
            raise NotALedger(f"{path} is not a matchledger ledger (its events {what} is not "
                             "the ledger's)")
    if not found:
        raise NotALedger(f"{path} is not a matchledger ledger (no events table)")
    missing = [n for n, (kind, _) in expected.items()
               if (kind == "table" or whole and kind != "index") and n not in found]
    if missing:
        raise NotALedger(f"{path} is not a matchledger ledger (no {', '.join(sorted(missing))}: "
                         "its log is not append-only)")
    return fmt


def open_read_only(path: Path, schemas: Mapping[int, str], *, timeout: float,
                   whole: bool = True) -> sqlite3.Connection:
    """A connection that cannot write to the ledger at ``path``, its schema checked (its events
    table alone, not ``whole``: see ``check_schema``).

    ``PRAGMA query_only`` refuses every write; the file itself is opened for writing where
    it can be, so that the last reader of a WAL ledger removes the -wal and -shm files it
    made, as any connection does (``mode=ro`` would leave them behind). In a folder this
    process cannot write to, SQLite cannot make the WAL index (-shm) a read needs; when there
    is no -wal file either, the file alone is the whole ledger and no writer can exist, so it
    is opened as immutable.
    """
    if not path.exists():
        raise LedgerError(f"no ledger at {path}")
    if (kind := kind_of(path)) is not None:
        raise NotALedger(f"{path} is {kind}, not a ledger file")
    if not os.access(path, os.R_OK):
        raise LedgerError(f"cannot read {path}: permission denied")
    conn = sqlite3.connect(read_only_uri(path), uri=True, timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA query_only = ON")
        check_schema(conn, path, schemas, whole=whole)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise NotALedger(f"{path} is not a matchledger ledger ({e})") from e
    except BaseException:
        conn.close()
        raise
    return conn


def read_only_uri(path: Path, *, always: bool = False) -> str:
    """The URI a reader opens ``path`` by (see ``open_read_only``); ``always``: ``mode=ro``
    even where the file could be written."""
    uri = path.resolve().as_uri()
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-shm").exists():
        if Path(f"{path}-wal").exists():
            raise LedgerError(f"cannot read {path}: its folder is read-only and {path.name}-wal "
                              "holds events not yet in the file (open it where it can be "
                              "written once)")
        return uri + "?mode=ro&immutable=1"
    if always or Path(f"{path}-journal").exists() or not os.access(path, os.W_OK):
        return uri + "?mode=ro"  # a hot journal is never rolled back by a reader
    return uri


def cannot_write(path: Path) -> str | None:
    """Why a write to the ledger at ``path`` cannot happen, when the file system says so
    (a read-only folder or file): SQLite's own words ("unable to open database file") hide
    it."""
    folder = path.parent if str(path.parent) else Path(".")
    if not os.access(folder, os.W_OK):
        return f"cannot write to {path}: its folder {folder} is read-only"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write to {path}: the file is read-only"
    return None

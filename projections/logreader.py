"""What the projections need of a ledger, and how they read and write beside it.

``LogReader`` is the read API of a ledger (``ledger.Ledger``, or ``testing.MemoryLog``);
``log_hash`` ties derived state (a snapshot, the read models' checkpoint) to the log it was
derived from; the transactions here are the ones every derived table is read and written in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Collection, Iterator
from typing import Protocol

import sqlite_utils

from matchledger.ledger.envelope import Envelope

Progress = Callable[[int, int], None]  # (position reached, head of the log)
LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)

class LogReader(Protocol):
    """What the projections need of a ledger: its read API and its database."""

    @property
    def db(self) -> sqlite_utils.Database: ...

    def read(
        self,
        *,
        after: int = 0,
        stream: str | None = None,
        prefix: str | None = None,
        types: Collection[str] | None = None,
        as_of: dt.datetime | None = None,
        known_at: dt.datetime | None = None,
        at_position: int | None = None,
        limit: int | None = None,
        streams: Collection[str] | None = None,
        teams: Collection[str] | None = None,
        playing: str | None = None,
    ) -> Iterator[Envelope]: ...

    def head(self) -> int: ...


def log_hash(ledger: LogReader, position: int) -> str | None:
    """The hash of the event at ``position`` (hex), which a snapshot or checkpoint made
    there stores: what ties derived state to the log it was derived from."""
    if position <= 0:
        return None
    env = next(ledger.read(after=position - 1, at_position=position, limit=1), None)
    return env.hash if env is not None and env.position == position else None


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """Folds build only acyclic, immutable values: the cycle collector has nothing to find in
    them, and its passes over a heap that grows by millions of objects cost more than the
    fold itself (a rebuild runs about twice as fast without them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the lock first: a read-then-write never goes stale."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


@contextlib.contextmanager
def reading(db: sqlite_utils.Database) -> Iterator[None]:
    """A read transaction: one consistent moment of the file (a caller's transaction already
    open is one)."""
    if db.conn.in_transaction:
        yield
        return
    db.conn.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        db.conn.execute("COMMIT")

"""Run in a subprocess by tests/test_pg_followers.py (not collected by pytest): one writer,
appending for a bounded time, printing "EVENT_ID POSITION" for each event once acknowledged.

    python tests/_pg_writer.py store URL WRITER SECONDS   # EventStore.append, 1-3 events each
    python tests/_pg_writer.py naive URL WRITER SECONDS   # INSERT into a plain sequence's table

Both do a little work inside each transaction (0-2 ms, as the judge does), between taking
their numbers and committing: where a plain sequence lets a later number commit first.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Sequence

from matchledger.events import Event, TeamRegistered
from matchledger.ledger import Draft, EventStore
from matchledger.ledger.eventstore import AdmitAll

WHEN = dt.datetime(2024, 4, 11, 19, 30, tzinfo=dt.UTC)


def work() -> None:
    time.sleep(random.uniform(0, 0.002))


class Working(AdmitAll):
    """Admits everything, after a moment's work inside the append's transaction."""

    def admit(self, conn: object, stream: str, version: int, draft: Draft,
              occurred: int) -> Event:
        work()
        return draft.event


def store(url: str, writer: str, seconds: float) -> None:
    with EventStore(url, admission=Working()) as st:
        until = time.monotonic() + seconds  # from the moment it is connected
        while time.monotonic() < until:
            drafts = [Draft(event=TeamRegistered(team=f"w{writer}", name=f"W{writer}"),
                            occurred_at=WHEN) for _ in range(random.randint(1, 3))]
            for env in st.append(f"competition:w{writer}", drafts):
                print(env.event_id, env.position)


def naive(url: str, seconds: float) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            ids: Sequence[str] = [str(uuid.uuid4()) for _ in range(random.randint(1, 3))]
            with conn.transaction():
                numbers = [conn.execute("INSERT INTO naive (event_id) VALUES (%s) RETURNING id",
                                        (i,)).fetchone() for i in ids]
                work()
            for i, row in zip(ids, numbers, strict=True):
                assert row is not None
                print(i, row[0])


if __name__ == "__main__":
    mode, url, writer, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    if mode == "store":
        store(url, writer, seconds)
    else:
        naive(url, seconds)

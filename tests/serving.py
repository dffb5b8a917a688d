"""Helpers for the web server's tests: the demo ledger, and a real server on a free port.

A server runs in a thread of the test process (uvicorn on a socket bound to port 0 of
127.0.0.1), so that a feed can be read as it streams; ``stop`` ends it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import attrs

from matchledger.cli.demo import seed_lines
from matchledger.cli.server import bind, server_for
from matchledger.events import PlayerRegistered
from matchledger.ledger import Draft, Ledger, import_lines

Where = TypeVar("Where", str, Path)  # a ledger file, or a postgresql:// URL
TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CEST = dt.timezone(dt.timedelta(hours=2))
SF1 = "uel24-sf1-leg1"  # Marseille v Atalanta, 2 May 2024: scheduled, teams not yet known


def demo_ledger(path: Where, *, sf1_ready: bool = True) -> Where:
    """The demo's ledger at ``path``; with ``sf1_ready``, its first semi-final given its
    teams and kick-off (as the README's live match does), ready for a kick-off."""
    with Ledger(path) as lg:
        import_lines(lg, seed_lines())
        if sf1_ready:
            fixture = lg.fixture(SF1)
            assert fixture is not None
            kickoff = dt.datetime(2024, 5, 2, 21, 0, tzinfo=CEST)
            lg.append("competition:uel-2023-24", [Draft(
                event=attrs.evolve(fixture, home="marseille", away="atalanta", kickoff=kickoff,
                                   date=kickoff.date()),
                occurred_at=dt.datetime(2024, 4, 19, 10, 0, tzinfo=dt.UTC))])
            lg.append("competition:uel-2023-24", [Draft(  # the names the tests give
                event=PlayerRegistered(team=team, name=name, aliases=aliases),
                occurred_at=dt.datetime(2024, 5, 2, tzinfo=dt.UTC)) for team, name, aliases in (
                    ("marseille", "Chancel Mbemba", ("Mbemba",)), ("marseille", "Vitinha", ()),
                    ("marseille", "Pierre-Emerick Aubameyang", ("Aubameyang",)),
                    ("atalanta", "Ademola Lookman", ("Lookman",)),
                    ("atalanta", "Giorgio Scalvini", ("Scalvini",)),
                    ("atalanta", "Charles De Ketelaere", ("De Ketelaere",)))])
    return path


@contextmanager
def running(db: str | Path) -> Iterator[str]:
    """A real server of ``db`` on a free loopback port, for as long as the block runs; its
    base URL."""
    sock = bind("127.0.0.1", 0)
    server = server_for(sock, db, TOKEN)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

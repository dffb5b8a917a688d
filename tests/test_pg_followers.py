"""Positions a follower never skips, on PostgreSQL: eight writer processes append for a
bounded time while a follower reads what is past the last position it saw.

Every acknowledged event must be seen once, in position order, none skipped. The same check
fails against a naive store, a table numbered by a plain sequence and read ``ORDER BY id``:
a sequence hands out numbers as transactions begin their inserts, not as they commit, so a
later number can commit first; the follower reads past it, and the earlier one, committed a
moment later, lies behind it for ever. The test shows that it does, on the same server.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from matchledger.ledger import EventStore

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")

WRITER = str(Path(__file__).with_name("_pg_writer.py"))
WRITERS = 8
SECONDS = 2.0


def writing(mode: str, url: str, read: Callable[[], list[tuple[int, str]]],
            wait: Callable[[], object]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Run the writers for ``SECONDS`` while ``read`` follows (``wait`` between two reads);
    what they acknowledged (event id -> position) and what the follower saw, in order."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with contextlib.ExitStack() as files:
        # each writer prints a line an event: to a file, as a pipe nobody reads while they
        # run would fill and stop them mid-write
        outs = [files.enter_context(tempfile.TemporaryFile("w+")) for _ in range(WRITERS)]
        errs = [files.enter_context(tempfile.TemporaryFile("w+")) for _ in range(WRITERS)]
        procs = [subprocess.Popen([sys.executable, WRITER, mode, url, str(n), str(SECONDS)],
                                  stdout=outs[n], stderr=errs[n], text=True, env=env)
                 for n in range(WRITERS)]
        seen: list[tuple[int, str]] = []
        deadline = time.monotonic() + SECONDS + 120  # a writer that hangs fails the test
        try:
            while any(p.poll() is None for p in procs):
                assert time.monotonic() < deadline, "the writers did not finish"
                seen += read()
                wait()
            seen += read()  # what committed after the last read: a follower's last look
            acked: dict[str, int] = {}
            for p, out, err in zip(procs, outs, errs, strict=True):
                out.seek(0)
                err.seek(0)
                assert p.returncode == 0, err.read()
                acked.update((line.split()[0], int(line.split()[1])) for line in out)
        finally:
            for p in procs:
                p.kill()
                p.wait()
    return acked, seen


def assert_none_skipped(acked: dict[str, int], seen: list[tuple[int, str]]) -> None:
    ids = [event_id for _, event_id in seen]
    assert len(ids) == len(set(ids)), "an event seen twice"
    assert [p for p, _ in seen] == sorted(p for p, _ in seen), "seen out of position order"
    missed = sorted(acked.keys() - set(ids), key=acked.__getitem__)
    assert not missed, (f"{len(missed)} of {len(acked)} acknowledged events never seen, "
                        f"positions {[acked[i] for i in missed[:10]]}...")
    assert {i: acked[i] for i in ids} == dict((i, p) for p, i in seen)


def test_a_follower_sees_every_acknowledged_event_once_in_order(pg_url: str) -> None:
    with EventStore(pg_url) as follower:
        last = [0]

        def read() -> list[tuple[int, str]]:
            got = [(env.position, env.event_id) for env in follower.read(after=last[0])]
            if got:
                last[0] = got[-1][0]
            return got

        acked, seen = writing("store", pg_url, read, lambda: follower.wait(0.2))
        assert len(acked) > WRITERS * 10, "the writers hardly wrote: the test proves nothing"
        assert_none_skipped(acked, seen)
        assert [p for p, _ in seen] == list(range(1, follower.head() + 1))  # gapless


def test_a_naive_reader_of_a_plain_sequence_skips_events(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE naive (id bigserial PRIMARY KEY, event_id text NOT NULL)")
        last = [0]

        def read() -> list[tuple[int, str]]:
            got = [(int(i), str(e)) for i, e in conn.execute(
                "SELECT id, event_id FROM naive WHERE id > %s ORDER BY id", (last[0],))]
            if got:
                last[0] = got[-1][0]
            return got

        acked, seen = writing("naive", pg_url, read, lambda: None)
        assert len(acked) > WRITERS * 10
        with pytest.raises(AssertionError, match="acknowledged events never seen"):
            assert_none_skipped(acked, seen)

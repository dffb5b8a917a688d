"""The store's contract: what any backend of the ledger must do, whatever the rules say.

Like eventsourcing's recorder test cases: the same version twice conflicts, a failing batch
writes nothing, reads come back in position order, an id resent is not duplicated, positions
and versions are gapless, each row chains the hash of the one before. ``store`` is
parametrised by backend (SQLite, and PostgreSQL where a server can be had), each as the bare
``EventStore``, which admits anything, and as the ``Ledger``, its judge deciding.

The events are competition facts the judge admits at once (a competition, its teams), so that
both pass the same tests: these pin the store, not the football.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from matchledger.events import CompetitionCreated, Event, TeamRegistered
from matchledger.ledger import (
    NO_STREAM,
    ConcurrencyConflict,
    Draft,
    DuplicateEvent,
    EventStore,
    Ledger,
    LedgerError,
    StreamRun,
)
from matchledger.ledger.eventstore import chain_hash

WHEN = dt.datetime(2024, 3, 15, 12, 0, tzinfo=dt.UTC)


BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=[(backend, judged) for backend in BACKENDS for judged in (False, True)],
                ids=lambda p: f"{p[0]}{'-ledger' if p[1] else ''}")
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """An empty store of each backend (a file; a PostgreSQL schema of the test's own): bare,
    and as a ledger (a judge deciding)."""
    backend, judged = request.param
    location = (str(tmp_path / "store.db") if backend == "sqlite"
                else request.getfixturevalue("pg_url"))
    with Ledger(location) if judged else EventStore(location) as opened:
        yield opened


def facts(competition: str, *teams: str, created: bool = True) -> list[Draft]:
    """Drafts for ``competition:<competition>``: its creation (unless not ``created``), then
    one team registered per name, a minute apart."""
    events: list[Event] = [TeamRegistered(team=t, name=t.title()) for t in teams]
    if created:
        events.insert(0, CompetitionCreated(competition=competition, name=competition.title(),
                                            season="2023/24"))
    return [Draft(event=e, occurred_at=WHEN + dt.timedelta(minutes=i))
            for i, e in enumerate(events)]


def stream(competition: str) -> str:
    return f"competition:{competition}"


def test_an_append_numbers_versions_from_zero_and_positions_after_the_head(
        store: EventStore) -> None:
    first = store.append(stream("a"), facts("a", "ann", "bob"), expected_version=NO_STREAM)
    assert [(e.version, e.position) for e in first] == [(0, 1), (1, 2), (2, 3)]
    second = store.append(stream("b"), facts("b", "cat"), expected_version=NO_STREAM)
    assert [(e.version, e.position) for e in second] == [(0, 4), (1, 5)]
    assert store.head() == 5
    assert store.stream_version(stream("a")) == 2


def test_the_same_version_twice_conflicts_and_writes_nothing(store: EventStore) -> None:
    store.append(stream("a"), facts("a"), expected_version=NO_STREAM)
    store.append(stream("a"), facts("a", "ann", created=False), expected_version=0)
    late = facts("a", "bob", created=False)
    with pytest.raises(ConcurrencyConflict) as refused:
        store.append(stream("a"), late, expected_version=0)
    assert (refused.value.expected, refused.value.actual) == (0, 1)
    assert store.head() == 2
    assert store.by_ids([late[0].event_id]) == {}


def test_a_new_stream_expected_twice_conflicts(store: EventStore) -> None:
    store.append(stream("a"), facts("a"), expected_version=NO_STREAM)
    with pytest.raises(ConcurrencyConflict):
        store.append(stream("a"), facts("a", "ann", created=False), expected_version=NO_STREAM)
    assert store.head() == 1


def test_a_failing_batch_writes_nothing(store: EventStore) -> None:
    store.append(stream("a"), facts("a"), expected_version=NO_STREAM)
    good = facts("b", "cat")
    stale = facts("a", "ann", created=False)
    with pytest.raises(ConcurrencyConflict):
        store.append_batch([StreamRun(stream("b"), good, expected_version=NO_STREAM),
                            StreamRun(stream("a"), stale, expected_version=NO_STREAM)])
    assert store.head() == 1
    assert store.by_ids([d.event_id for d in good + stale]) == {}
    # and the store is whole afterwards: the same batch, right, goes in
    done = store.append_batch([StreamRun(stream("b"), good, expected_version=NO_STREAM),
                               StreamRun(stream("a"), stale, expected_version=0)])
    assert (done.added, done.skipped, store.head()) == (3, 0, 4)


def test_a_failing_append_of_several_events_writes_none_of_them(store: EventStore) -> None:
    drafts = facts("a", "ann")
    with pytest.raises(DuplicateEvent):
        store.append(stream("a"), [*drafts, drafts[1]], expected_version=NO_STREAM)
    assert store.head() == 0
    assert list(store.read()) == []


def test_reads_come_back_in_position_order(store: EventStore) -> None:
    store.append_batch([StreamRun(stream("a"), facts("a", "ann")),
                        StreamRun(stream("b"), facts("b", "bob"))])
    store.append(stream("a"), facts("a", "cat", created=False), expected_version=1)
    store.append(stream("b"), facts("b", "dan", created=False), expected_version=1)
    read = list(store.read())
    assert [e.position for e in read] == [1, 2, 3, 4, 5, 6]
    assert [(e.stream, e.version) for e in read] == [
        (stream("a"), 0), (stream("a"), 1), (stream("b"), 0), (stream("b"), 1),
        (stream("a"), 2), (stream("b"), 2)]
    assert [e.position for e in store.read(stream=stream("b"))] == [3, 4, 6]
    assert [e.position for e in store.read(after=4)] == [5, 6]
    assert [row[0] for row in store.read_stored(after=2)] == [3, 4, 5, 6]


def test_an_id_resent_is_not_duplicated(store: EventStore) -> None:
    drafts = facts("a", "ann")
    first = store.append(stream("a"), drafts, expected_version=NO_STREAM)
    again = store.append(stream("a"), drafts, expected_version=NO_STREAM)
    assert again == first
    assert not store.submit(stream("a"), drafts).new
    done = store.append_batch([StreamRun(stream("a"), drafts)])
    assert (done.added, done.skipped, store.head()) == (0, 2, 2)


def test_a_batch_skips_what_is_stored_and_writes_the_rest(store: EventStore) -> None:
    drafts = facts("a", "ann", "bob")
    store.append(stream("a"), drafts[:2], expected_version=NO_STREAM)
    done = store.append_batch([StreamRun(stream("a"), drafts)])
    assert (done.added, done.skipped) == (1, 2)
    assert [e.event_id for e in store.read()] == [d.event_id for d in drafts]


def test_an_id_stored_in_another_stream_is_refused(store: EventStore) -> None:
    drafts = facts("a")
    store.append(stream("a"), drafts, expected_version=NO_STREAM)
    with pytest.raises(DuplicateEvent, match="is stored in competition:a"):
        store.append_batch([StreamRun(stream("b"), drafts)])
    assert store.head() == 1


def test_a_new_event_under_a_stored_id_is_refused(store: EventStore) -> None:
    [created] = facts("a")
    store.append(stream("a"), [created], expected_version=NO_STREAM)
    other = Draft(event=TeamRegistered(team="ann", name="Ann"), occurred_at=WHEN,
                  event_id=created.event_id)
    with pytest.raises(DuplicateEvent, match="stored as another event"):
        store.append(stream("a"), [other])
    assert store.head() == 1


def test_an_error_in_a_batch_cites_the_draft_as_the_run_says(store: EventStore) -> None:
    with pytest.raises(LedgerError, match=r"^line 7: conflict on competition:b") as refused:
        store.append_batch([StreamRun(stream("a"), facts("a", "ann"), cited=["line 5", "line 6"]),
                            StreamRun(stream("b"), facts("b"), expected_version=0,
                                      cited=["line 7"])])
    assert isinstance(refused.value, ConcurrencyConflict)
    assert (refused.value.expected, refused.value.actual) == (0, -1)
    assert store.head() == 0


def test_positions_and_versions_are_gapless_and_each_row_chains_the_last(
        store: EventStore) -> None:
    store.append(stream("a"), facts("a", "ann"), expected_version=NO_STREAM)
    with pytest.raises(ConcurrencyConflict):
        store.append(stream("a"), facts("a", "bob", created=False), expected_version=NO_STREAM)
    store.append_batch([StreamRun(stream("b"), facts("b", "cat", "dan")),
                        StreamRun(stream("a"), facts("a", "eve", created=False))])
    rows = list(store.read_stored())
    assert [row[0] for row in rows] == list(range(1, store.head() + 1))
    versions: dict[str, list[int]] = {}
    for row in rows:
        versions.setdefault(row[2], []).append(row[3])
    assert all(v == list(range(len(v))) for v in versions.values())
    assert bytes(rows[0][10]) == bytes(32)
    assert all(bytes(row[10]) == bytes(prev[11]) for prev, row in zip(rows, rows[1:],
                                                                     strict=False))
    assert all(chain_hash(bytes(row[10]), *row[:10]) == bytes(row[11]) for row in rows)


def test_read_by_ids_gives_the_stored_envelopes(store: EventStore) -> None:
    written = store.append(stream("a"), facts("a", "ann"), expected_version=NO_STREAM)
    found = store.by_ids([written[1].event_id, "no-such-id"])
    assert found == {written[1].event_id: written[1]}
    with pytest.raises(DuplicateEvent):
        store.by_ids([written[0].event_id, written[0].event_id])


def test_the_bare_store_admits_what_no_rule_would(tmp_path: Path) -> None:
    with EventStore(tmp_path / "store.db") as bare:
        [env] = bare.append("match:nowhere", [Draft(event=TeamRegistered(team="x", name="X"),
                                                    occurred_at=WHEN)])
        assert (env.stream, env.version, env.position) == ("match:nowhere", 0, 1)
    with Ledger(tmp_path / "store.db") as judged, pytest.raises(LedgerError):
        judged.append("match:nowhere", [Draft(event=TeamRegistered(team="y", name="Y"),
                                              occurred_at=WHEN)])

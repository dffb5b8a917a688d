"""Smoke tests of the bench: its generated ledger is valid, and ``python -m bench`` runs.

No timing is asserted here: the numbers belong to ``python -m bench`` on a quiet machine.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench import Result, commands, postgres, pyeventsourcing
from bench.__main__ import main, table
from bench.generate import Batch, chunks, flatten, generate, rows
from matchledger.events import FixtureScheduled, Period, PeriodStarted, TieDrawn
from matchledger.ledger import Ledger

EVENTS = 10_000


@pytest.fixture(scope="module")
def generated() -> list[Batch]:
    return list(generate(events=EVENTS))


def test_generated_ledger_appends_and_verifies(generated: list[Batch], tmp_path: Path) -> None:
    with Ledger(tmp_path / "gen.db") as lg:
        for stream, drafts in generated:
            lg.append(stream, drafts)
        report = lg.verify()
    assert report.ok, report
    assert report.events == EVENTS


def test_generated_rows_are_the_rows_the_ledger_stores(generated: list[Batch],
                                                        tmp_path: Path) -> None:
    path = tmp_path / "gen.db"
    with Ledger(path) as lg:
        for stream, drafts in generated:
            lg.append(stream, drafts)
    stored = sqlite3.connect(path).execute(
        "SELECT position, event_id, stream, version, type, schema_version, occurred_at, "
        "recorded_at, data, meta FROM events ORDER BY position").fetchall()
    mine = [r[:10] for r in rows(generated)]
    # recorded_at is the ledger's clock except for back-filled matches, which carry their own
    assert [r[:7] + r[8:] for r in mine] == [r[:7] + r[8:] for r in stored]
    backfilled = [(m[7], s[7]) for (_, d), m, s in zip(flatten(generated), mine, stored,
                                                        strict=True) if d.recorded_at]
    assert backfilled and all(m == s for m, s in backfilled)


def test_generated_ledger_has_the_hard_cases(generated: list[Batch]) -> None:
    drafts = [d for _, d in flatten(generated)]
    types = Counter(type(d.event).__name__ for d in drafts)
    for name in ("TeamRegistered", "PlayerRegistered", "TieDrawn", "FixtureScheduled",
                 "GoalScored", "CardShown", "GoalDisallowed", "EventRetracted", "ShootoutKick",
                 "MatchEnded"):
        assert types[name] > 0, name
    assert any(isinstance(d.event, PeriodStarted) and d.event.period is Period.EXTRA_FIRST
               for d in drafts)
    assert any(s.winner_of for d in drafts if isinstance(d.event, TieDrawn)
               for s in d.event.sides)
    scheduled = Counter(d.event.match for d in drafts if isinstance(d.event, FixtureScheduled))
    assert any(count > 1 for count in scheduled.values())  # scheduled again with the teams
    late = [(d.recorded_at, d.occurred_at) for d in drafts if d.recorded_at is not None]
    assert late and all(recorded > occurred for recorded, occurred in late)


def test_generator_is_deterministic() -> None:
    first = [d.event_id for _, d in flatten(generate(events=3_000, seed=7))]
    again = [d.event_id for _, d in flatten(generate(events=3_000, seed=7))]
    other = [d.event_id for _, d in flatten(generate(events=3_000, seed=8))]
    assert first == again != other
    assert len(first) == 3_000


def test_chunks_are_exactly_the_size_asked(generated: list[Batch]) -> None:
    sizes = [sum(len(d) for _, d in chunk) for chunk in chunks(generated, 1_000)]
    assert sizes == [1_000] * (EVENTS // 1_000)


def test_bench_entry_point_runs_append(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(["--events", str(EVENTS), "--only", "append", "--repeat", "1", "--quiet",
                 "--workdir", str(tmp_path / "work"), "--json", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    measures = {r["measure"]: r for r in report["results"]}
    assert len(measures) == 3
    for row in measures.values():
        assert row["ours"] > 0 and row["baseline"] > 0 and row["verdict"] in ("PASS", "MISS")
        assert row["compares"]
    cli = measures.pop("append, a goal typed at the CLI, a new process each")
    assert len(cli["notes"]["ours"]["runs_s"]) == len(cli["notes"]["baseline"]["runs_s"]) > 0
    for row in measures.values():
        assert row["notes"]["ours"]["bytes_per_event"] > 0


def test_bench_entry_point_runs_rebuild(tmp_path: Path) -> None:
    pytest.importorskip("projections", reason="projections is not importable yet")
    code = main(["--events", "5000", "--only", "rebuild", "--repeat", "1", "--quiet",
                 "--workdir", str(tmp_path / "work")])
    assert code == 0


def test_bench_refuses_an_unknown_group(tmp_path: Path) -> None:
    assert main(["--only", "nonsense", "--workdir", str(tmp_path)]) == 2


# --- the rows of the table beyond append and rebuild: each runs at 10k, no timing asserted ----


def _rows(tmp_path: Path, groups: str) -> dict[str, dict[str, Any]]:
    out = tmp_path / "bench.json"
    code = main(["--events", str(EVENTS), "--only", groups, "--repeat", "1", "--quiet",
                 "--workdir", str(tmp_path / "work"), "--json", str(out)])
    assert code == 0
    return {r["measure"]: r for r in json.loads(out.read_text())["results"]}


def test_bench_catchup_timetravel_and_disk_rows_run(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "catchup,timetravel,disk")
    catchup = [r for name, r in rows.items() if name.startswith("catch-up")]
    assert len(catchup) == 2
    for row in catchup:
        assert row["ours"] > 0 and row["baseline"] > 0 and row["limit"] == 20
        assert row["lower_is_better"] and row["verdict"] in ("PASS", "MISS")
    travel = [r for name, r in rows.items() if "as of a random moment" in name]
    assert len(travel) == 2
    for row in travel:
        assert row["ours"] > 0 and row["baseline"] > 0 and row["target"] == 1
        assert row["notes"]["same_answer"], "state_at and a scoped replay disagree"
        assert len(row["notes"]["baseline"]["runs_ms"]) == row["notes"]["moments"]
        assert len(row["notes"]["as_of"]) == row["notes"]["moments"] >= 8
    (disk,) = [r for name, r in rows.items() if name.startswith("bytes on disk")]
    parts = disk["notes"]["bytes_per_event_by_part"]
    assert disk["ours"] > 0 and parts["log"] > 0 and parts["snapshots"] > 0
    assert parts["read models"] > 0


def test_bench_eventsourcing_rows_run(tmp_path: Path) -> None:
    pytest.importorskip("eventsourcing", reason="pip install 'matchledger[bench]'")
    rows = _rows(tmp_path, "eventsourcing")
    assert len(rows) == 2
    assert sorted(row["target"] for row in rows.values()) == [1.0, 1.5]
    for row in rows.values():
        assert row["ours"] > 0 and row["baseline"] > 0 and row["verdict"] in ("PASS", "MISS")
        assert len(row["notes"]["ours"]["runs_s"]) >= 5  # medians of at least five


def test_bench_verify_rows_run(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "verify")
    assert len(rows) == 2
    for row in rows.values():
        assert row["ours"] > 0 and row["baseline"] > 0 and row["target"] == 0.5
        assert row["verdict"] in ("PASS", "MISS") and row["compares"]


def test_bench_eventsourcing_rows_are_skipped_without_the_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyeventsourcing, "VERSION", None)
    assert _rows(tmp_path, "eventsourcing") == {}


def test_bench_memory_rows_run(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "memory")
    assert len(rows) == 4
    for row in rows.values():
        assert row["ours"] > 0 and row["limit"] == 300 and row["verdict"] in ("PASS", "MISS")
    full = [r for r in rows.values() if r["notes"]["events"] == EVENTS]
    assert len(full) == 2 and all(r["checks"][0]["check"] == "sub-linear" for r in full)


def test_bench_commands_rows_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands group on a small ledger, one run a side and two of its commands (each is a
    new process): every state gets its rows, with both sides' times and a verdict."""
    monkeypatch.setattr(commands, "RUNS", 1)
    monkeypatch.setattr(commands, "COMMANDS", tuple(
        (name, argv) for name, argv in commands.COMMANDS if name in ("append goal", "tie")))
    rows = _rows(tmp_path, "commands")
    timed = [r for name, r in rows.items() if name.startswith(("append goal", "tie"))]
    assert {r["notes"]["state"] for r in timed} == set(commands.STATES)
    assert len(timed) == 2 * len(commands.STATES)
    for row in timed:
        assert row["ours"] > 0 and row["baseline"] > 0 and row["verdict"] in ("PASS", "MISS")
    (startup,) = [r for name, r in rows.items() if "--help" in name]
    assert startup["ours"] > 0 and startup["limit"] == commands.STARTUP_S
    assert [name for name in rows if name.startswith("rebuild --catch-up")]
    assert [name for name in rows if "long-lived" in name]


@pytest.mark.parametrize(("ours", "checks", "verdict"), [
    (10.0, (), "PASS"),  # 200x faster, under the limit
    (60.0, (), "MISS"),  # 33x: under the ratio, over the limit
    (10.0, (("same as replay", False),), "MISS"),
])
def test_result_verdict_needs_ratio_limit_and_checks(
        ours: float, checks: tuple[tuple[str, bool], ...], verdict: str) -> None:
    row = Result(measure="q", unit="ms", ours=ours, baseline=2_000.0, target=100.0,
                 limit=50.0, lower_is_better=True, checks=checks)
    assert row.ratio == 2_000.0 / ours
    assert row.verdict == verdict
    assert verdict in table([row])


def test_result_without_any_target_has_no_verdict() -> None:
    assert Result(measure="q", unit="ms", ours=1.0).verdict == "-"


def test_bench_postgres_rows_run(tmp_path: Path, pg_server: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHLEDGER_BENCH_PG", pg_server)
    monkeypatch.setattr(postgres, "WRITERS", 2)  # the lag row's writers: fewer, for less long
    monkeypatch.setattr(postgres, "WRITE_SECONDS", 1.0)
    rows = _rows(tmp_path, "postgres")
    assert [name.partition(": ")[2] for name in rows] == [
        "append, one event per transaction", "append, batches of 1,000",
        "rebuild every projection from nothing", "follower lag p99 under 8 writers"]
    for row in rows.values():
        assert row["ours"] > 0 and row["baseline"] > 0

"""Smoke test of the web server's bench rows (``bench.serve``): they run, bounded, and report
no event lost. No timing is asserted: the numbers belong to ``python -m bench``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import serve
from bench.__main__ import main


def test_bench_serve_rows_run_and_lose_no_event(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("APPENDS", 10), ("MOMENTS", 3), ("CLIENTS", 5), ("SECONDS", 1.0)):
        monkeypatch.setattr(serve, name, value)
    out = tmp_path / "bench.json"
    assert main(["--events", "4000", "--only", "serve", "--repeat", "1", "--quiet",
                 "--workdir", str(tmp_path / "work"), "--json", str(out)]) == 0
    rows = {r["measure"]: r for r in json.loads(out.read_text())["results"]}
    assert len(rows) == 4
    sse = [r for name, r in rows.items() if name.startswith("append over HTTP")]
    assert all(r["ours"] > 0 for r in sse) and sse[1]["limit"] == 50
    assert sse[0]["checks"][0]["ok"], "an append never arrived on the feed"
    (bracket,) = [r for name, r in rows.items() if "over HTTP (p50)" in name]
    assert bracket["ours"] > 0 and bracket["checks"][0]["ok"]
    (fan_out,) = [r for name, r in rows.items() if name.endswith("events lost")]
    assert fan_out["ours"] == 0 and fan_out["verdict"] == "PASS"

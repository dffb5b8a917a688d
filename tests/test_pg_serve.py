"""``matchledger serve`` on PostgreSQL: appends over HTTP through the judge (201, a resend 200,
a stale version 409), and an append by another process reaching the feed on its NOTIFY — the
server's wait for one is made far longer than the test allows, so a poll could not do it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from serving import AUTH, SF1, demo_ledger, running
from test_serve import read_feed

pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")


def test_serve_on_postgres_appends_and_wakes_on_notify(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import matchledger.cli.server

    monkeypatch.setattr(matchledger.cli.server, "NOTIFY_WAIT_SECONDS", 60.0)
    demo_ledger(pg_url)
    env = {**os.environ, "MATCHLEDGER_DB": pg_url}
    script = Path(sys.executable).with_name("matchledger")

    def append_by_cli() -> None:
        subprocess.Popen([str(script), "append", "whistle", SF1, "kick-off", "--at",
                          "2024-05-02T21:00+02:00"], env=env, stdout=subprocess.DEVNULL)

    with running(pg_url) as base, httpx.Client(base_url=base, headers=AUTH) as http:
        time.sleep(1.5)  # the server's waiter is listening: a poll now waits 60 s
        started = time.monotonic()
        got = read_feed(base, 2, params={"match": SF1}, then=append_by_cli, timeout=30)
        assert [m["data"]["event"]["type"] for m in got] == ["MatchStarted", "PeriodStarted"]
        assert time.monotonic() - started < 10  # at once, not at the 60 s poll
        goal = {"team": "Marseille", "minute": 9, "at": "2024-05-02T21:09+02:00",
                "event_id": "11111111-1111-4111-8111-111111111111"}
        first = http.post(f"/api/matches/{SF1}/goal", json=goal)
        assert first.status_code == 201, first.text
        again = http.post(f"/api/matches/{SF1}/goal", json=goal)
        assert again.status_code == 200
        assert (again.json()["appended"][0]["position"]
                == first.json()["appended"][0]["position"])
        stale = http.post(f"/api/matches/{SF1}/goal", json={
            "team": "Atalanta", "minute": 10, "at": "2024-05-02T21:10+02:00",
            "expected_version": 0})
        assert stale.status_code == 409, stale.text
        assert stale.json()["expected_version"] == 0

"""The web server (``matchledger serve``) under load, on loopback only.

The server runs as its own process (``python -m matchledger.cli.main serve --port 0``) on
the projected ledger (``bench.catchup.projected``: every generated event, read models and
snapshots), with
one more competition made for the run: one match kicked off, which the appends score in. The
client is this process (httpx, asyncio); every loop is bounded in count and in time, and the
server is stopped at the end whatever happens.

- **append to SSE**: one feed client connected; ``APPENDS`` goals are posted one after another
  (``POST /api/matches/ID/goal``), and each one's latency is the time from sending the POST to
  its event arriving on the feed. p50 and p99 (target p99 <= 50 ms); the baseline is the POST's
  own round trip, so the ratio says what the feed adds.
- **bracket as of over HTTP**: ``GET /api/competitions/CUP/bracket?as_of=T`` for the seeded
  random moments of ``bench.timetravel`` (a cup with ties then); p50 (target <= 30 ms), against
  the same question asked in process (``projections.query.bracket``) as the baseline.
- **SSE fan-out**: ``CLIENTS`` feed clients connected while goals are appended for ``SECONDS``
  seconds (one every ``PACE_S``): every client must receive every event, in order, once
  (events lost and out of order: 0).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.catchup import projected
from bench.harness import Context, Result, measure, median
from bench.timetravel import moments
from matchledger.events import (
    CompetitionCreated,
    FixtureScheduled,
    MatchStarted,
    Period,
    PeriodStarted,
    TeamRegistered,
)
from matchledger.ledger import Draft, Ledger
from matchledger.projections import query

TOKEN = "bench-token-not-secret"
COMPETITION, MATCH = "serve-bench", "serve-bench-1"
APPENDS = 200  # goals posted one at a time, for the latency percentiles
MOMENTS = 30  # bracket as-of questions
CLIENTS = 100  # feed clients in the fan-out
SECONDS = 20.0  # how long the fan-out appends
PACE_S = 0.05  # one goal this often during the fan-out
TIMEOUT_S = 120.0  # the most any one part may take
SSE_TARGET_MS, BRACKET_TARGET_MS = 50.0, 30.0
# an hour ago: after every generated match, and every goal's minute is in the past
KICKOFF = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(microsecond=0)


@measure("serve")
def serve_rows(ctx: Context) -> list[Result]:
    path = projected(ctx).path
    _add_match(path)
    with Ledger(path) as lg:
        asked = moments(lg, MOMENTS, ctx.seed)
        in_process = []
        for m in asked:
            began = time.perf_counter()
            query.bracket(lg, m.competition, as_of=m.as_of)
            in_process.append(1000 * (time.perf_counter() - began))
    ctx.log(f"serve: a server on loopback; {APPENDS} appends to the feed, {len(asked)} "
            f"brackets as of a moment, {CLIENTS} feed clients for {SECONDS:.0f} s")
    with _server(path) as base:
        return asyncio.run(_measure(ctx, base, asked, in_process))


def _add_match(path: Path) -> None:
    """A competition of its own, one match kicked off: what the appends score in."""
    with Ledger(path) as lg:
        if lg.has_competition(COMPETITION):
            return
        drafts = [Draft(event=e, occurred_at=KICKOFF - dt.timedelta(minutes=30)) for e in (
            CompetitionCreated(competition=COMPETITION, name="Serve bench", season="2030"),
            TeamRegistered(team="bench-home", name="Bench Home"),
            TeamRegistered(team="bench-away", name="Bench Away"),
            FixtureScheduled(match=MATCH, home="bench-home", away="bench-away",
                             date=KICKOFF.date(), kickoff=KICKOFF))]
        lg.append(f"competition:{COMPETITION}", drafts)
        lg.append(f"match:{MATCH}", [
            Draft(event=MatchStarted(), occurred_at=KICKOFF),
            Draft(event=PeriodStarted(period=Period.FIRST_HALF), occurred_at=KICKOFF)])


@contextmanager
def _server(path: Path) -> Iterator[str]:
    """``matchledger serve`` on a free loopback port, in a process of its own; its URL."""
    command = [sys.executable, "-m", "matchledger.cli.main", "serve", "--db", str(path), "--host",
               "127.0.0.1", "--port", "0", "--token", TOKEN]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            raise RuntimeError(f"the server did not start: {line.strip()}")
        base = f"http://127.0.0.1:{found.group(1)}"
        deadline = time.monotonic() + TIMEOUT_S
        while True:  # the fold is loaded before the socket answers
            try:
                if httpx.get(f"{base}/api/teams", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not answer")
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Feed:
    """One SSE client: the positions it received, and when."""

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.arrived: dict[int, float] = {}
        self.connected = asyncio.Event()

    async def listen(self, http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        """Read the feed from the head of the log on, until ``stop``."""
        async with http.stream("GET", "/api/feed") as answer:
            self.connected.set()
            lines = answer.aiter_lines()
            while not stop.is_set():
                try:
                    line = await asyncio.wait_for(anext(lines), 1.0)
                except TimeoutError:
                    continue
                except StopAsyncIteration:
                    return
                if line.startswith("id: "):
                    position = int(line[4:])
                    self.positions.append(position)
                    self.arrived[position] = time.perf_counter()


async def _goal(http: httpx.AsyncClient, n: int) -> int:
    minute = 1 + n % 44
    answer = await http.post(f"/api/matches/{MATCH}/goal", headers={
        "Authorization": f"Bearer {TOKEN}"}, json={
        "team": "bench-home" if n % 2 else "bench-away", "minute": minute,
        "at": (KICKOFF + dt.timedelta(minutes=minute)).isoformat()})
    if answer.status_code != 201:
        raise RuntimeError(f"append refused: {answer.status_code} {answer.text}")
    position: int = answer.json()["appended"][0]["position"]
    return position


async def _measure(ctx: Context, base: str, asked: list[Any],
                   in_process: list[float]) -> list[Result]:
    limits = httpx.Limits(max_connections=CLIENTS + 10)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        return [*(await _latency(ctx, http)), await _bracket(ctx, http, asked, in_process),
                await _fan_out(ctx, http)]


async def _latency(ctx: Context, http: httpx.AsyncClient) -> list[Result]:
    stop = asyncio.Event()
    feed = Feed()
    task = asyncio.create_task(feed.listen(http, stop))
    await asyncio.wait_for(feed.connected.wait(), TIMEOUT_S)
    sse, posts = [], []
    deadline = time.monotonic() + TIMEOUT_S
    for n in range(APPENDS):
        began = time.perf_counter()
        position = await _goal(http, n)
        posts.append(1000 * (time.perf_counter() - began))
        while position not in feed.arrived and time.monotonic() < deadline:
            await asyncio.sleep(0.0005)
        if position in feed.arrived:
            sse.append(1000 * (feed.arrived[position] - began))
        if time.monotonic() > deadline:
            break
    stop.set()
    await task
    p50, p99 = _percentile(sse, 50), _percentile(sse, 99)
    note = (f"{len(sse)} of {len(posts)} appends arrived; POST round trip p50 "
            f"{_percentile(posts, 50):.1f} ms, p99 {_percentile(posts, 99):.1f} ms")
    ctx.log(f"append to SSE: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({note})")
    return [
        Result(measure="append over HTTP to the event at an SSE client, p50", unit="ms",
               ours=p50, baseline=_percentile(posts, 50), lower_is_better=True,
               baseline_label="the POST's own round trip (p50)",
               checks=(("every append arrived", len(sse) == len(posts)),),
               notes={"note": note, "runs_ms": [round(v, 2) for v in sse]}),
        Result(measure="append over HTTP to the event at an SSE client, p99", unit="ms",
               ours=p99, baseline=_percentile(posts, 99), lower_is_better=True,
               baseline_label="the POST's own round trip (p99)", limit=SSE_TARGET_MS,
               notes={"note": note}),
    ]


async def _bracket(ctx: Context, http: httpx.AsyncClient, asked: list[Any],
                   in_process: list[float]) -> Result:
    timed, same = [], True
    for m in asked:
        began = time.perf_counter()
        answer = await http.get(f"/api/competitions/{m.competition}/bracket",
                                params={"as_of": m.as_of.isoformat()})
        timed.append(1000 * (time.perf_counter() - began))
        same = same and answer.status_code == 200 and bool(answer.json()["rounds"])
    p50 = median(timed)
    ctx.log(f"bracket as of over HTTP: p50 {p50:.1f} ms (in process {median(in_process):.1f})")
    return Result(
        measure="bracket of a cup as of a random moment, over HTTP (p50)", unit="ms",
        ours=p50, baseline=median(in_process), lower_is_better=True,
        baseline_label="projections.query.bracket in process, same moments (p50)",
        limit=BRACKET_TARGET_MS, checks=(("every answer a bracket", same),),
        notes={"note": f"{len(timed)} moments; p99 {_percentile(timed, 99):.1f} ms",
               "runs_ms": [round(v, 2) for v in timed]})


async def _fan_out(ctx: Context, http: httpx.AsyncClient) -> Result:
    stop = asyncio.Event()
    feeds = [Feed() for _ in range(CLIENTS)]
    tasks = [asyncio.create_task(f.listen(http, stop)) for f in feeds]
    await asyncio.wait_for(asyncio.gather(*(f.connected.wait() for f in feeds)), TIMEOUT_S)
    appended: list[int] = []
    began = time.monotonic()
    n = 0
    while time.monotonic() - began < SECONDS:
        appended.append(await _goal(http, n))
        n += 1
        await asyncio.sleep(PACE_S)
    last = appended[-1]
    deadline = time.monotonic() + 30
    while (any(not f.positions or f.positions[-1] < last for f in feeds)
           and time.monotonic() < deadline):
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    expected = set(appended)  # nobody else appends meanwhile
    lost = sum(len(expected - set(f.positions)) for f in feeds)
    disorder = sum(f.positions != sorted(set(f.positions)) for f in feeds)
    extra = sum(len(set(f.positions) - expected) for f in feeds)
    note = (f"{CLIENTS} clients, {len(appended)} appends in {SECONDS:.0f} s; events lost "
            f"{lost}, clients out of order or with repeats {disorder}, unexpected {extra}")
    ctx.log(f"SSE fan-out: {note}")
    return Result(measure=f"{CLIENTS} SSE clients while appends run: events lost", unit="events",
                  ours=float(lost), limit=0.0, lower_is_better=True,
                  checks=(("in order, once", disorder == 0 and extra == 0),),
                  notes={"note": note, "appends": len(appended), "clients": CLIENTS})


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


__all__ = ["serve_rows"]

"""Commands as a person runs them: each a new process, on the demo ledger and on a big one.

The same command line is run on two ledgers, alternately, ``RUNS`` times each, and the
medians compared: the demo ledger (``matchledger demo``: 142 events, one cup) and a copy of
the generated ledger (``full_ledger()``). Both sides do the same things: start Python, import
what the command imports, open the file, answer, print (to a pipe); neither is warmed by the
other. What they are asked about is alike in size, not in ledger: the demo's cup and the
generated ledger's latest cup (16 clubs), a team of each, a moment half-way through each cup.
A live match, ``bench-live``, is scheduled in each cup to kick off now, and started (not
timed), so that ``append goal`` and ``score`` are live use: no ``--at``, the "is it live now"
check and the score line after the append included.

The commands, in each of three states of the read models (the issue's table):

- **never rebuilt**: the log alone (the generated ledger is written by raw inserts; the demo
  builds no read models);
- **after rebuild**: ``matchledger rebuild`` run first (not timed);
- **5 behind**: then five goals appended to the live match (not timed; through the library,
  as ``append goal`` appends them), so the read models and snapshots are five events behind
  the log.

``append goal`` writes, so each of its runs is on a fresh copy of the state's file (the copy
not timed); the other commands only read and share the file. Target: the big ledger's median
at most 1.5x the demo's, so the ratio (demo / big) at least 0.667.

Further rows: ``matchledger --help`` (start-up; at most 0.2 s; beside it a bare
``python -c pass``, no target), ``rebuild --catch-up`` as a new process after five new events
(a fresh copy per run; at most 1.5x the demo's), and the catch-up of 1,000 new events by a
long-lived ``Projector`` (at most 20 ms), measured as the ``catchup`` group measures it (the
same run shares it when both groups run).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from bench.harness import Context, Result, copy_db, matchledger, measure, median, remove_db
from matchledger.events import GoalScored
from matchledger.ledger import Ledger

RUNS = 7  # new processes per command, state and side (the median is kept)
TIMES = 1.5  # the big ledger's time may be at most this many times the demo's
TARGET = round(1 / TIMES, 3)  # the ratio (demo / big) at least this
STARTUP_S = 0.2
CATCH_UP_MS = 20.0
BEHIND = 5  # events the read models trail the log by in the third state
LIVE = "bench-live"


@attrs.frozen(kw_only=True)
class Side:
    """One ledger and what the commands ask of it."""

    label: str
    path: Path
    cup: str  # the competition the cup commands ask about
    tie: str
    team: str  # a team of the cup (streaks), and the live match's home side
    away: str
    as_of: str  # half-way through the cup


COMMANDS: tuple[tuple[str, Callable[[Side], list[str]]], ...] = (
    ("append goal", lambda s: ["append", "goal", LIVE, "--team", s.team]),
    ("score", lambda s: ["score", LIVE]),
    ("bracket --as-of", lambda s: ["bracket", s.cup, "--as-of", s.as_of]),
    ("table", lambda s: ["table", s.cup]),
    ("streaks TEAM --as-of", lambda s: ["streaks", s.team, "--as-of", s.as_of]),
    ("players --top 10", lambda s: ["players", "--top", "10"]),
    ("matches --competition", lambda s: ["matches", "--competition", s.cup]),
    ("tie", lambda s: ["tie", s.tie, "--competition", s.cup]),
)
WRITES = {"append goal"}  # run on a fresh copy of the state each time
STATES = ("never rebuilt", "after rebuild", f"{BEHIND} behind")


def _env() -> dict[str, str]:
    """The environment of a person's shell: no MATCHLEDGER_ settings, and bytecode cached as
    an installation caches it (a PYTHONDONTWRITEBYTECODE here would make every process
    compile every module, a constant that hides how the two sides differ)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MATCHLEDGER_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "100"  # the same width for rich on both sides
    return env


def run(args: Sequence[str], *, db: Path | None = None) -> float:
    """Seconds of one new process running ``matchledger args`` (on ``db``); a failing
    command is an error, not a fast time."""
    argv = [*matchledger(), *args, *(["--db", str(db)] if db is not None else [])]
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, env=_env(), check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def _medians(demo: Callable[[], float], big: Callable[[], float]
             ) -> tuple[list[float], list[float]]:
    """``RUNS`` runs of each side, alternating which goes first."""
    mine: list[float] = []
    theirs: list[float] = []
    for r in range(RUNS):
        order = ((theirs, demo), (mine, big))
        for times, fn in order if r % 2 == 0 else order[::-1]:
            times.append(fn())
    return mine, theirs


# --- the two ledgers --------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0).isoformat()


def _go_live(side: Side) -> None:
    """Schedule ``LIVE`` in the side's cup to kick off now, and kick it off."""
    run(["append", "fixture", side.cup, LIVE, "--home", side.team, "--away", side.away,
         "--kickoff", _now()], db=side.path)
    run(["append", "whistle", LIVE, "kick-off"], db=side.path)


def demo_side(ctx: Context) -> Side:
    path = ctx.path("commands-demo.db")
    run(["demo"], db=path)
    side = Side(label="demo", path=path, cup="uel-2023-24", tie="QF1", team="roma",
                away="ac-milan", as_of="2024-04-12")
    _go_live(side)
    return side


def big_side(ctx: Context) -> Side:
    """A copy of the generated ledger, asked about its latest cup (the latest competition
    that drew ties) and the first tie drawn in it."""
    path = ctx.workdir / "commands-big.db"
    copy_db(ctx.full_ledger(), path)
    conn = sqlite3.connect(path)
    try:
        (stream,) = conn.execute("SELECT stream FROM events WHERE type = 'TieDrawn' "
                                 "ORDER BY position DESC LIMIT 1").fetchone()
        cup = stream.partition(":")[2]
        tie, home, away = conn.execute(
            "SELECT json_extract(data, '$.tie'), json_extract(data, '$.sides[0].team'), "
            "json_extract(data, '$.sides[1].team') FROM events WHERE stream = ? AND "
            "type = 'TieDrawn' AND json_extract(data, '$.sides[1].team') IS NOT NULL "
            "ORDER BY position LIMIT 1", (stream,)).fetchone()
        first, last = conn.execute(
            "SELECT min(occurred_at), max(occurred_at) FROM events WHERE stream IN "
            "(SELECT 'match:' || json_extract(data, '$.match') FROM events "
            "WHERE stream = ? AND type = 'FixtureScheduled')", (stream,)).fetchone()
    finally:
        conn.close()
    half = dt.datetime.fromtimestamp((first + last) / 2e6, dt.UTC).replace(microsecond=0)
    side = Side(label="big", path=path, cup=cup, tie=tie, team=home, away=away,
                as_of=half.isoformat())
    _go_live(side)
    return side


def _enter(state: str, side: Side) -> None:
    """Bring a side from the state before into ``state`` (not timed)."""
    if state == "after rebuild":
        run(["rebuild", "--no-progress"], db=side.path)
    elif state.endswith("behind"):  # goals as ``append goal`` makes them, without a process
        with Ledger(side.path) as lg:
            lg.append(f"match:{LIVE}", [GoalScored(team=side.away) for _ in range(BEHIND)])


def _fresh(side: Side) -> Path:
    """A copy of the side's file as the state left it, for a command that writes."""
    copy = side.path.with_name(side.path.stem + "-run.db")
    copy_db(side.path, copy)
    return copy


def _timed(args: list[str], side: Side, *, writes: bool) -> Callable[[], float]:
    def once() -> float:
        return run(args, db=_fresh(side) if writes else side.path)
    return once


def _row(name: str, state: str, big: list[float], demo: list[float], does: str,
         events: int) -> Result:
    slowdown = median(big) / median(demo)
    return Result(
        measure=f"{name} ({state}): {events:,} events vs demo", unit="s", ours=median(big),
        baseline=median(demo), target=TARGET, lower_is_better=True,
        baseline_label="the same command on the demo ledger (142 events)",
        notes={"state": state, "times_demo": round(slowdown, 2), "runs": RUNS,
               "big_s": [round(t, 3) for t in big], "demo_s": [round(t, 3) for t in demo],
               "note": f"{slowdown:.2f}x the demo's (at most {TIMES}x); median of {RUNS} "
                       f"new processes a side; both: {does}"})


# --- the rows ----------------------------------------------------------------------------------


def startup_row() -> Result:
    helped = [run(["--help"]) for _ in range(RUNS)]
    bare = []
    for _ in range(RUNS):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=_env())
        bare.append(time.perf_counter() - began)
    return Result(measure="matchledger --help (start-up)", unit="s", ours=median(helped),
                  baseline=median(bare), limit=STARTUP_S, lower_is_better=True,
                  baseline_label="python -c pass (no target)",
                  notes={"runs_s": [round(t, 3) for t in helped],
                         "note": f"median of {RUNS} new processes: start Python, import the "
                                 "CLI, print its help to a pipe"})


def long_lived_row(ctx: Context) -> Result:
    from bench.catchup import projected

    built = projected(ctx)
    return Result(
        measure=f"catch-up after {built.step:,} new events, long-lived Projector", unit="ms",
        ours=median(built.warm_ms), limit=CATCH_UP_MS, lower_is_better=True,
        notes={"runs_ms": [round(t, 2) for t in built.warm_ms], "onto": built.rebuilt_at,
               "note": "Projector.catch_up() in the process that rebuilt the read models, "
                       "median of its steps (the catchup group's measurement, shared)"})


@measure("commands")
def command_rows(ctx: Context) -> list[Result]:
    ctx.log("commands: the demo ledger and a copy of the generated one, each command a new "
            f"process, {RUNS} runs a side")
    demo, big = demo_side(ctx), big_side(ctx)
    rows = [startup_row()]
    for state in STATES:
        for side in (demo, big):
            _enter(state, side)
        ctx.log(f"commands: {state}")
        for name, argv in COMMANDS:
            writes = name in WRITES
            mine, theirs = _medians(_timed(argv(demo), demo, writes=writes),
                                    _timed(argv(big), big, writes=writes))
            does = (f"matchledger {' '.join(argv(big))} --db FILE"
                    + (" (on a fresh copy of the file each run)" if writes else ""))
            rows.append(_row(name, state, mine, theirs, does, ctx.events))
        if state.endswith("behind"):
            args = ["rebuild", "--catch-up", "--no-progress"]
            mine, theirs = _medians(_timed(args, demo, writes=True),
                                    _timed(args, big, writes=True))
            rows.append(_row(f"rebuild --catch-up of {BEHIND} new events", state, mine,
                             theirs, "matchledger rebuild --catch-up on a fresh copy each run",
                             ctx.events))
    rows.append(long_lived_row(ctx))
    for side in (demo, big):
        for path in (side.path, side.path.with_name(side.path.stem + "-run.db")):
            remove_db(path)
    return rows


__all__ = ["COMMANDS", "STATES", "Side", "command_rows", "run"]

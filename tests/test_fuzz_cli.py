"""A fuzz of every command of the CLI: each invocation carries at least one hostile value (text
that is not UTF-8, a number beyond 64 bits or an infinite one, a time outside 1850-2200, a
choice that is none, JSON nested, oversized or out of bounds, a file of such lines), beside
ordinary values, control characters and long text; every one must end in exit code 1 or 2,
exactly one line on stderr, no traceback, and the ledger file byte for byte as it was.

Commands and their options are read from the typer app itself, so a new command is fuzzed
without a word here. ``MATCHLEDGER_FUZZ_EXAMPLES`` sets the examples per command (default 20).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_limits import runner

from matchledger.cli.demo import seed_lines
from matchledger.cli.main import app
from matchledger.ledger import Ledger, import_lines
from matchledger.ledger.limits import MAX_ID, MAX_META, MAX_NAME

EXAMPLES = int(os.environ.get("MATCHLEDGER_FUZZ_EXAMPLES", "20"))
Draw = st.DrawFn


def leaf_commands() -> Iterator[tuple[list[str], Any]]:
    """(path, command) of every command the app runs, ``append goal`` and all."""
    def walk(group: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        for name, command in sorted(group.commands.items()):
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])
            else:
                yield [*path, name], command

    yield from walk(CLI, [])


CLI = typer.main.get_command(app)
COMMANDS = list(leaf_commands())


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "demo.db"
    with Ledger(path) as lg:
        import_lines(lg, seed_lines())
    return path


# --- values ------------------------------------------------------------------------------

NOT_UTF8 = st.sampled_from(["\udcff", "Roma\udce9", "\ud800", "uel24-qf1-leg1\udc80", "\udfff"])
HUGE = (st.integers(min_value=2**63) | st.integers(max_value=-(2**63) - 1)).map(str)
NOT_FINITE = st.sampled_from(["inf", "-inf", "nan", "1e400", "-1e400", "Infinity", "NaN"])
CONTROLS = st.text(st.sampled_from("\x00\x07\x08\x1b\x7f\x85\x9b\u202e\u2066\u2028 [];0aZ"),
                   min_size=1, max_size=12)
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m)))
OUT_OF_RANGE = st.one_of(
    st.sampled_from(["0001-01-01T00:00+14:00", "9999-12-31T23:59:59-23:59", "10000-01-01",
                     "1849-12-31T23:59:59Z", "2201-01-01T00:00Z", "0000-01-01", "2201-01-01"]),
    st.datetimes(max_value=dt.datetime(1849, 12, 31), timezones=offsets).map(dt.datetime.isoformat),
    st.datetimes(min_value=dt.datetime(2201, 1, 2), timezones=offsets).map(dt.datetime.isoformat))
# text that may reach a name or a message: controls, scripts, a little or a lot of it
ORDINARY_TEXT = st.one_of(
    CONTROLS, st.text(max_size=30), st.integers(0, 5000).map(lambda n: "x" * n),
).filter(lambda t: not t.startswith("-"))

KNOWN = {"match": "uel24-qf1-leg1", "competition": "uel-2023-24", "competition_ref": "uel-2023-24",
         "team": "roma", "team_ref": "roma", "tie_id": "QF1", "tie_ref": "QF9", "first": "roma",
         "second": "benfica", "player": "Dybala", "taker": "Dybala", "name": "Fuzz FC",
         "season": "2025", "goal_ref": "last", "event_ref": "last", "full_time": "1-0",
         "round_name": "SF", "projection": "players", "date": "2024-05-02",
         "types": "GoalScored", "stream": "match:uel24-qf1-leg1", "reason": "VAR"}

VALID_EVENT = {"stream": "competition:uel-2023-24", "type": "TeamRegistered",
               "data": {"team": "fuzz-fc", "name": "Fuzz FC"},
               "occurred_at": "2024-03-16T12:00Z"}


def _nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(VALID_EVENT))
    for key, value in changes.items():
        if key.startswith("data."):
            event["data"][key[5:]] = value
        else:
            event[key] = value
    return event


LONG_NAME = st.integers(MAX_NAME + 1, 20_000).map(lambda n: "n" * n)
# an event as JSON that the ledger must refuse, each broken in one way
HOSTILE_EVENTS: st.SearchStrategy[dict[str, Any] | str] = st.one_of(
    (NOT_UTF8 | LONG_NAME).map(lambda v: _event(**{"data.name": v})),
    st.integers(101, 300).map(lambda n: _event(**{"data.aliases": ["A"] * n})),
    OUT_OF_RANGE.map(lambda t: _event(occurred_at=t)),
    OUT_OF_RANGE.map(lambda t: _event(recorded_at=t)),
    HUGE.map(lambda n: _event(schema_version=int(n))),
    HUGE.map(lambda n: _event(**{"data.name": int(n)})),
    st.sampled_from([[1], "text", 5, True]).map(lambda m: _event(meta=m)),
    st.integers(17, 900).map(lambda d: _event(meta={"x": _nested(d)})),
    st.just(_event(meta={"source": "s" * (MAX_META + 1)})),
    st.integers(2, 900).map(lambda d: _event(**{"data.name": _nested(d, "x")})),
    (NOT_UTF8 | st.integers(MAX_ID + 1, 5000).map(lambda n: "e" * n)).map(
        lambda v: _event(event_id=v)),
    (NOT_UTF8 | st.integers(MAX_ID + 1, 5000).map(lambda n: "competition:" + "c" * n)).map(
        lambda v: _event(stream=v)),
    st.integers(1000, 200_000).map(lambda n: "[" * n),
    st.integers(1, 60).map(lambda n: json.dumps(VALID_EVENT)[:n]),
    CONTROLS.map(lambda t: "{" + t),
)


@st.composite
def hostile_json(draw: Draw) -> str:
    event = draw(HOSTILE_EVENTS)
    if isinstance(event, str):
        return event
    return json.dumps(event, ensure_ascii=draw(st.booleans()))


_files = itertools.count()


def _file(folder: Path, text: str | bytes, suffix: str) -> str:
    path = folder / f"in-{next(_files)}{suffix}"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return str(path)


@st.composite
def hostile_file(draw: Draw, folder: Path) -> str:
    """A file to import that must be refused whole: an event out of bounds after a good
    one, bytes that are not UTF-8, a Football.TXT team name far too long."""
    kind = draw(st.sampled_from(["jsonl", "bytes", "txt"]))
    if kind == "jsonl":
        return _file(folder, json.dumps(VALID_EVENT) + "\n" + draw(hostile_json()) + "\n",
                     ".jsonl")
    if kind == "bytes":
        return _file(folder, json.dumps(VALID_EVENT).encode() + b"\n\xff\xfe{\n", ".jsonl")
    name = "Real " + "abcdefgh " * draw(st.integers(30, 2000)) + "Madrid"
    return _file(folder, f"= Fuzz Cup 2023/24\n\n[Tue Sep/19 2023]\n  18.45  {name}  0-0  "
                         "AC Milan\n", ".txt")


# --- invocations ---------------------------------------------------------------------------


def _kind(param: Any) -> tuple[Any, Any]:
    """What a parameter takes: its annotation (list[str] is str), and its parser if any."""
    info = param.type_descriptor
    annotation = info.annotation
    if getattr(annotation, "__origin__", None) is list:
        annotation = annotation.__args__[0]
    return annotation, getattr(info.parameter_info, "parser", None)


def hostile_value(draw: Draw, path: list[str], param: Any, folder: Path) -> str | None:
    """A value of ``param`` the command must refuse, or None when it takes none (a flag)."""
    annotation, parser = _kind(param)
    if getattr(param, "is_flag", False):
        return None
    if path == ["import"] and param.name == "files":
        return draw(st.one_of(st.builds(hostile_file, st.just(folder)).flatmap(lambda s: s),
                              NOT_UTF8))
    if path == ["append", "json"] and param.name == "event":
        return draw(hostile_json() | NOT_UTF8)
    if parser is not None:  # a time, a kick-off, a minute: typed text the parser refuses
        return draw(st.one_of(OUT_OF_RANGE, NOT_UTF8, CONTROLS, HUGE))
    if annotation is int:
        return draw(HUGE)
    if annotation is float:
        return draw(NOT_FINITE)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return draw(st.one_of(CONTROLS, NOT_UTF8).filter(
            lambda t: t not in {m.value for m in annotation}))
    return draw(NOT_UTF8)  # text and paths: what no UTF-8 carries


def ordinary_value(draw: Draw, param: Any, db: Path, folder: Path) -> str | None:
    """A value that the command could well accept: it must refuse because of another."""
    annotation, parser = _kind(param)
    name = param.name
    if name == "db":
        return str(db)
    if name == "files":
        return _file(folder, json.dumps(VALID_EVENT) + "\n", ".jsonl")
    if name == "event":
        return json.dumps(VALID_EVENT)
    if name == "output":
        return str(folder / f"out-{next(_files)}.jsonl")
    if name == "aliases_file":
        return _file(folder, "Roma=roma\n", ".txt")
    if parser is not None:
        return draw(st.sampled_from(["45+2", "38"] if name == "minute" else
                                    ["2024-04-12", "2024-05-02T21:00+02:00"]))
    if annotation is int:
        low = param.min if param.min is not None else -1
        return str(draw(st.integers(low, max(low, param.max or 0, 3))))
    if annotation is float:
        return "0.05"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str(draw(st.sampled_from(list(annotation))).value)
    return draw(st.just(KNOWN.get(name, "fuzz")) | ORDINARY_TEXT)


@st.composite
def invocation(draw: Draw, path: list[str], command: Any, db: Path, folder: Path
               ) -> tuple[list[str], str | None]:
    """The arguments of one run of ``command``, and its stdin: one parameter or more hostile,
    some others given ordinary values, flags on or off, ``--db`` the fuzzed ledger unless it
    is hostile; an event or a file may come on stdin (``-``) instead."""
    params = [p for p in command.params if not getattr(p, "is_flag", False)]
    hostile = draw(st.sets(st.sampled_from(params), min_size=1, max_size=min(2, len(params))))
    args: list[str] = []
    positional: list[str] = []
    stdin = None
    for param in command.params:
        is_argument = not hasattr(param, "is_flag")
        if param in hostile and param.name in ("event", "files") and draw(st.booleans()):
            text = draw(hostile_json())
            stdin = text if param.name == "event" else f"{json.dumps(VALID_EVENT)}\n{text}\n"
            value: str | None = "-"
        elif param in hostile:
            value = hostile_value(draw, path, param, folder)
        elif getattr(param, "is_flag", False):
            if draw(st.booleans()):
                args.append(draw(st.sampled_from([*param.opts, *param.secondary_opts])))
            continue
        elif path == ["append", "json"] and param.name == "event_id":
            continue  # it would stand in for the event_id of the hostile event
        elif param.required or is_argument or param.name == "db" or draw(st.booleans()):
            value = ordinary_value(draw, param, db, folder)
        else:
            continue
        if value is None:
            continue
        if is_argument:
            positional.append(value)
        else:
            args += [draw(st.sampled_from(param.opts)), value]
    return ([*path, *args, "--", *positional] if positional else [*path, *args]), stdin


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_refuses_hostile_values_in_one_line_leaving_the_ledger_as_it_was(
        fuzz_db: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch, path: list[str], command: Any) -> None:
    folder = tmp_path_factory.mktemp("inputs")
    # the runner makes the command anew from the app on every run, which takes most of the
    # time of a run refused at parsing: give it the one already made
    monkeypatch.setattr(typer.testing, "_get_command", lambda _: CLI)
    before = fuzz_db.read_bytes()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def refused(data: st.DataObject) -> None:
        args, stdin = data.draw(invocation(path, command, fuzz_db, folder), label="args")
        # a lone surrogate goes in as the bytes it stands for, which no UTF-8 decodes
        result = runner.invoke(app, args, input=stdin and stdin.encode("utf-8", "surrogatepass"))
        shown = (args, stdin and stdin[:300], result.exit_code, result.stdout[-500:],
                 result.stderr[-500:])
        assert result.exit_code in (1, 2), shown
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            (shown, result.exc_info)
        assert "Traceback" not in result.stderr, shown
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), shown
        assert fuzz_db.read_bytes() == before, shown

    refused()

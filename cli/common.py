"""What every command shares: its options, time parsing, opening the ledger, printing.

Heavy modules (the ledger, the projections, rich) are imported inside functions, so that
``matchledger --help`` and shell completion stay fast.

    >>> parse_moment("2024-04-12")                  # the start of that day, UTC
    datetime.datetime(2024, 4, 12, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_moment("2024-04-18T21:00+02:00").isoformat()
    '2024-04-18T21:00:00+02:00'
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, TypedDict, TypeVar, cast, get_type_hints

import attrs
import typer

if TYPE_CHECKING:
    from rich.console import Console

    from matchledger.ledger import Ledger

UTC = dt.UTC
DEFAULT_DB = "matchledger.db"  # --db: a file, or a postgresql:// URL
ENV_DB = "MATCHLEDGER_DB"
TIME_PANEL = "Time travel"


class CliError(Exception):
    """A mistake in what was typed: printed as one line on stderr, exit code 1."""


def one_line(error: BaseException) -> str:
    """A user's mistake as the one line printed after ``error: `` (``printable``)."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        return printable(f"{error.strerror}: {error.filename}")
    text = printable(" ".join(str(error).split()))
    if isinstance(error, sqlite3.Error):
        return f"database: {text}"
    return text


# what a terminal acts on rather than shows: C0 and C1 controls but tab and newline (ESC starts
# the sequences that retitle a window or clear the screen), DEL, the line and paragraph
# separators, the bidirectional overrides that make text read other than it is stored, and
# lone surrogates (no UTF-8 can carry them)
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                          "\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with each character a terminal would act on shown as its escape: a team
    named "\\x1b]0;pwned\\x07" prints as that, and leaves the terminal's title alone."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable_json(text: str) -> str:
    """JSON text with the characters ``printable`` escapes, and JSON leaves as they are
    (C1 controls, bidi overrides, lone surrogates), written as ``\\u`` escapes: the same
    JSON values, safe on a terminal."""
    return _UNPRINTABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


# --- parsing ---------------------------------------------------------------------------------

_TIME_HELP = "use 2024-04-12, 2024-04-19T12:00 or 2024-04-18T21:00+02:00"


# --- the zone of times typed and shown (--tz, MATCHLEDGER_TZ; UTC unless given) ------------

_zone: dt.tzinfo | None = None  # set by the root command's --tz, for the whole invocation


def set_zone(name: str | None) -> None:
    """The zone for times typed without an offset and for times shown: a zoneinfo name
    (Europe/Berlin), or None for UTC; an unknown name is a ValueError saying so."""
    global _zone
    if name is None or not name.strip():
        _zone = None
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        _zone = UTC if name.strip().upper() == "UTC" else ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone: use a zoneinfo name such as "
                         "Europe/Berlin, or UTC") from None


def zone() -> dt.tzinfo:
    """The zone of times typed without an offset (UTC unless --tz says otherwise)."""
    return _zone or UTC


def zone_label() -> str:
    """The zone's name as a column heading says it: UTC, Europe/Berlin."""
    return str(_zone) if _zone is not None and _zone is not UTC else "UTC"


def parse_moment(text: str) -> dt.datetime:
    """A moment typed at the command line, always with a UTC offset.

    A bare date is the START of that day in the zone of ``--tz`` (00:00 UTC unless given); a
    time without an offset is in that zone too; an offset (``+02:00``, ``Z``) is kept; ``now``
    is now. ``ledger.parse_time`` is the strict form (an offset is required) used for stored
    JSON; this one is for people.
    """
    value = text.strip()
    if value.lower() == "now":
        return dt.datetime.now(UTC)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), zone())
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a date or time: {_TIME_HELP}") from None
    return within_range(moment if moment.tzinfo is not None else moment.replace(tzinfo=zone()))


def parse_day(text: str) -> dt.date:
    """A calendar day typed at the command line (``2024-04-11``), within the years the ledger
    holds, as every other date is."""
    from matchledger.ledger.limits import FIRST_YEAR, LAST_YEAR

    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date: give it as 2024-04-11") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return day


def within_range(moment: dt.datetime) -> dt.datetime:
    """``moment`` if the ledger can hold it (the years ``ledger.limits`` allows), else the
    ValueError click reports as a bad value of the option."""
    from matchledger.ledger.errors import OutOfBounds
    from matchledger.ledger.limits import check_time

    try:
        return check_time(moment, "time")
    except OutOfBounds as e:
        raise ValueError(str(e).removeprefix("time: ")) from None


def parse_kickoff(text: str) -> dt.datetime:
    """A kick-off as typed: local time with its offset, which sources give and the ledger
    keeps (``ledger.parse_time``, the strict form); without one it would be UTC, hours off."""
    from matchledger.ledger import InvalidEvent, parse_time
    from matchledger.ledger.errors import OutOfBounds

    try:
        return parse_time(text.strip(), "--kickoff")
    except OutOfBounds as e:
        raise ValueError(str(e).removeprefix("--kickoff: ")) from None
    except InvalidEvent:
        raise ValueError(f"{text!r} is not a kick-off with its UTC offset: use "
                         "2024-05-02T21:00+02:00 (local time), or --date for a day alone"
                         ) from None


@attrs.frozen
class Minute:
    """A match minute as typed: ``38``, or ``45+2`` (minute 45, two minutes added)."""

    minute: int
    added: int | None = None


class Timing(TypedDict):
    """The ``minute`` and ``added`` fields of a goal or a card."""

    minute: int | None
    added: int | None


def timing(minute: Minute | None) -> Timing:
    """A typed minute (or none) as the fields of the event it dates."""
    if minute is None:
        return {"minute": None, "added": None}
    return {"minute": minute.minute, "added": minute.added}


def parse_minute(text: str) -> Minute:
    found = re.fullmatch(r"\s*(\d{1,3})\s*(?:\+\s*(\d{1,2}))?\s*'?\s*", text)
    if not found:
        raise ValueError(f"{text!r} is not a match minute: use 38 or 45+2")
    added = found.group(2)
    return Minute(int(found.group(1)), int(added) if added is not None else None)


def match_id(text: str) -> str:
    """``match:uel24-qf4-leg2`` or ``uel24-qf4-leg2`` -> ``uel24-qf4-leg2``."""
    return text.removeprefix("match:").strip().lower()  # ids are lower-case: Tab or typo


def competition_id(text: str) -> str:
    """``competition:uel-2023-24``, ``UEL-2023-24`` or ``uel-2023-24`` -> ``uel-2023-24``."""
    return text.removeprefix("competition:").strip().lower()


# --- completion (reads the ledger named by --db, the environment, or the default) ---------


def _completion_db(ctx: typer.Context) -> str:
    given = ctx.params.get("db")
    return str(given) if given else os.environ.get(ENV_DB) or DEFAULT_DB


def _complete(ctx: typer.Context, incomplete: str, types: set[str], field: str) -> list[str]:
    path = _completion_db(ctx)
    if not is_ledger_file(path):
        return []
    from matchledger.ledger import Ledger

    with Ledger(path, read_only=True) as lg:
        names = {str(getattr(env.event, field)) for env in lg.read(types=types)}
    return sorted(n for n in names if n.startswith(incomplete))


def complete_match(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete(ctx, incomplete, {"FixtureScheduled"}, "match")


def complete_competition(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete(ctx, incomplete, {"CompetitionCreated"}, "competition")


def complete_tie(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete(ctx, incomplete, {"TieDrawn"}, "tie")


def complete_team(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete(ctx, incomplete, {"TeamRegistered"}, "team")


def complete_player(ctx: typer.Context, incomplete: str) -> list[str]:
    """The players registered (to the team --team names, when it was typed before), whose
    name or any word of it starts as typed, case and accents aside: "look" offers "Ademola
    Lookman"."""
    path = _completion_db(ctx)
    if not is_ledger_file(path):
        return []
    from matchledger.ledger import Ledger, LedgerError, normalise

    with Ledger(path, read_only=True) as lg:
        registry = lg.registry()
    team = ctx.params.get("team")
    try:
        team_id = registry.resolve_team(team) if team else None
    except LedgerError:
        team_id = None
    wanted = normalise(incomplete)
    names = {name for (t, _), name in registry.players.items() if team_id in (None, t)}
    return sorted(n for n in names
                  if any(part.startswith(wanted) for part in (normalise(n), *normalise(n).split())))


# --- options shared by many commands ---------------------------------------------------------

# SQLite's largest integer: the bound of a position or count typed (ledger.limits has it too,
# but importing the ledger here would slow down --help and completion)
MAX_POSITION = 2**63 - 1
Interval = Annotated[float, typer.Option(
    "--interval", min=0.05, max=3600, metavar="SECONDS",
    help="How often --follow polls (on PostgreSQL, the longest wait: an append wakes it).")]

Db = Annotated[str, typer.Option(
    "--db", envvar=ENV_DB, metavar="PATH", show_default=True,
    help="The ledger file, or a postgresql://user@host/dbname URL (or set MATCHLEDGER_DB).")]
AsOf = Annotated[dt.datetime | None, typer.Option(
    "--as-of", parser=parse_moment, metavar="TIME", rich_help_panel=TIME_PANEL,
    help="Only what had OCCURRED by TIME. A date is the start of that day (2024-04-12 = "
         "00:00 in the zone of --tz, UTC by default); so is a time without an offset: "
         "2024-04-19T12:00, 2024-04-18T21:00+02:00.")]
KnownAt = Annotated[dt.datetime | None, typer.Option(
    "--known-at", parser=parse_moment, metavar="TIME", rich_help_panel=TIME_PANEL,
    help="Only what the ledger had RECORDED by TIME (same format as --as-of): what did we "
         "believe then?")]
AtPosition = Annotated[int | None, typer.Option(
    "--at-position", min=0, max=MAX_POSITION, metavar="N", rich_help_panel=TIME_PANEL,
    help="Only the events at positions 1..N of the log.")]
Json = Annotated[bool, typer.Option(
    "--json", help="Print JSON with stable keys (see the README) instead of tables.")]

MatchArg = Annotated[str, typer.Argument(
    metavar="MATCH", autocompletion=complete_match, help="A match id, e.g. uel24-qf4-leg2.")]
CompetitionArg = Annotated[str, typer.Argument(
    metavar="COMPETITION", autocompletion=complete_competition,
    help="A competition id, e.g. uel-2023-24.")]


@attrs.frozen
class When:
    """The time-travel filters of a read command, as ``state_at`` takes them."""

    as_of: dt.datetime | None = None
    known_at: dt.datetime | None = None
    at_position: int | None = None

    def filters(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "known_at": self.known_at, "at_position": self.at_position}

    def describe(self) -> str | None:
        """What is asked, e.g. ``as of 12 Apr 2024 00:00 UTC``; None for the present."""
        parts = []
        if self.as_of is not None:
            parts.append(f"as of {show_moment(self.as_of)}")
        if self.known_at is not None:
            parts.append(f"known at {show_moment(self.known_at)}")
        if self.at_position is not None:
            parts.append(f"at position {self.at_position}")
        return " · ".join(parts) or None

    def then(self) -> str:
        """`` (as of then)`` after a statement about the past, nothing about the present."""
        return " (as of then)" if self.describe() else ""


@attrs.frozen
class Reading:
    """The options every read command shares, declared once (``@options(Reading)``): the
    ledger, the moment asked about, and the output."""

    db: Db = DEFAULT_DB
    as_of: AsOf = None
    known_at: KnownAt = None
    at_position: AtPosition = None
    json: Json = False

    @property
    def when(self) -> When:
        return When(self.as_of, self.known_at, self.at_position)


R = TypeVar("R")


def options(cls: type[Any], *, leave_out: Collection[str] = ()
            ) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """A decorator giving a command the options declared once as the fields of ``cls`` (an
    attrs class, each field typed ``Annotated[..., typer.Option(...)]`` with its default),
    after its own, and passing them as one ``cls`` in its parameter ``opts``; the command
    takes none of the fields ``leave_out`` names (their defaults stand). As sqlite-utils'
    ``output_options``: the same options are not repeated in every command."""
    hints = get_type_hints(cls, include_extras=True)
    taken = [f for f in attrs.fields(cls) if f.name not in leave_out]

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "opts"]
        shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY,
                                    annotation=hints[f.name], default=f.default)
                  for f in taken]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> R:
            opts = cls(**{f.name: kwargs.pop(f.name) for f in taken})
            return command(*args, opts=opts, **kwargs)

        run.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*own, *shared])
        return run

    return decorate


def shown_in_zone(moment: dt.datetime) -> dt.datetime | None:
    """``moment`` in the zone of ``--tz``, or None when none was given (shown as stored)."""
    return moment.astimezone(_zone) if _zone is not None else None


def show_moment(moment: dt.datetime) -> str:
    """12 Apr 2024 00:00 UTC; 18 Apr 2024 21:00 +02:00 when it carries another offset; in the
    zone of ``--tz`` when one is given (18 Apr 2024 21:00 CEST); seconds when it has them."""
    clock = "%H:%M:%S" if moment.second or moment.microsecond else "%H:%M"
    if _zone is not None:
        moment = moment.astimezone(_zone)
        return f"{moment.day} {moment.strftime(f'%b %Y {clock}')} {moment:%Z}"
    offset = moment.utcoffset()
    if not offset:
        zone = "UTC"
    else:
        digits = moment.strftime("%z")
        zone = f"{digits[:3]}:{digits[3:5]}"
    return f"{moment.day} {moment.strftime(f'%b %Y {clock}')} {zone}"


def clock_time(moment: dt.datetime) -> str:
    """A moment as a log shows it, in the zone of ``--tz`` (``zone_label`` heads the column):
    2024-04-18 19:00."""
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")


# --- the ledger file -------------------------------------------------------------------------


def is_postgres(db: str | Path) -> bool:
    """Whether ``--db`` names a PostgreSQL database (postgresql://...) rather than a file.
    (``ledger.postgres.is_postgres`` says the same; importing the ledger here would slow down
    --help and completion.)"""
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def is_ledger_file(path: str | Path) -> bool:
    """Whether ``path`` is a ledger this version reads (opened read-only: nothing written);
    a PostgreSQL database, whether it holds a ledger."""
    from matchledger.ledger import Ledger, LedgerError

    if is_postgres(path):
        try:
            Ledger(str(path), read_only=True).close()
        except LedgerError:
            return False
        return True
    path = Path(path)
    if not path.is_file():
        return False
    try:
        Ledger(path, read_only=True).close()
    except LedgerError:
        return False
    return True


@contextmanager
def open_ledger(location: str | Path, *, create: bool = False, read_only: bool = False,
                verifying: bool = False) -> Iterator[Ledger]:
    """The ledger at ``location``; a missing file is an error unless ``create`` (init,
    import). ``read_only`` (a command that only reads) writes nothing to the file; a file
    that is not a ledger is refused untouched either way. ``verifying``: read-only, and a
    ledger whose triggers were changed is opened for verify to say so. A postgresql:// URL
    opens the ledger in that database (its tables made by a command that writes)."""
    from matchledger.ledger import Ledger, NotALedger
    from matchledger.ledger.files import kind_of

    if is_postgres(location):
        with Ledger(str(location), read_only=read_only or verifying) as pg:
            yield pg
        return
    db = Path(location)
    if (kind := kind_of(db)) is not None:
        raise CliError(f"{db} is {kind}, not a ledger file")
    if not create:
        if not db.exists():
            raise CliError(f"no ledger at {db}: run matchledger init or matchledger demo --db {db}")
        if not (read_only or verifying):  # refused here, before a write connection opens it
            Ledger(db, read_only=True).close()
    elif db.exists() and db.stat().st_size:
        try:
            Ledger(db, read_only=True).close()
        except NotALedger as e:
            raise CliError(f"{db} exists and {str(e).removeprefix(f'{db} ')}") from e
    lg = Ledger(db, read_only=read_only, verifying=verifying)
    try:
        yield lg
    finally:
        lg.close()


# --- printing --------------------------------------------------------------------------------


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr), colour only on a terminal.

    Lines of text are never broken (tables and panels are drawn to the width); writing to a
    file or a pipe, the width is 100 columns (or $COLUMNS) rather than rich's 80.
    """
    printing = _printable_console()
    out = printing(stderr=stderr, highlight=False, soft_wrap=True)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = printing(stderr=stderr, highlight=False, soft_wrap=True, width=100)
    return out


@functools.cache
def _printable_console() -> type[Console]:
    """A rich Console that escapes (``printable``) the text of whatever it prints, tables,
    panels and lines alike, while its own styles and cursor moves go out as they are."""
    from rich.console import Console
    from rich.segment import Segment

    class PrintableConsole(Console):
        def _render_buffer(self, buffer: Iterable[Segment]) -> str:
            return super()._render_buffer(
                segment if segment.control else Segment(printable(segment.text), segment.style)
                for segment in buffer)

    return PrintableConsole


class _JsonLinesOut:
    def write(self, text: str) -> int:
        return sys.stdout.write(printable_json(text))


def json_lines_out() -> IO[str]:
    """Standard output for JSON Lines (``log --json``, ``export``), each written through
    ``printable_json``: the same values, nothing a terminal would act on. (Only ``write`` is
    ever called on it.)"""
    return cast("IO[str]", _JsonLinesOut())


def emit_json(data: Any) -> None:
    """JSON on stdout, exactly (no wrapping, no colour), for programs."""
    sys.stdout.write(printable_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


class ProgressBar:
    """Rich progress bars on stderr, or nothing when off: ``task(what, total)`` gives an
    ``advance(n)`` callback, ``tracker(what)`` a ``(done, total)`` one (None when off)."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.bar: Any = None

    def __enter__(self) -> ProgressBar:
        if self.show:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TimeRemainingColumn(),
                                console=console(stderr=True), transient=True)
            self.bar.start()
        return self

    def task(self, what: str, total: int | None) -> Callable[[int], None] | None:
        if self.bar is None:
            return None
        task = self.bar.add_task(what, total=total)
        return lambda n: self.bar.advance(task, n)

    def tracker(self, what: str) -> Callable[[int, int], None] | None:
        """A ``(done, total)`` callback for a task whose total may grow (None when off)."""
        if self.bar is None:
            return None
        task = self.bar.add_task(what, total=None)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

"""Commands on the ledger file itself: init, import, export, verify, stats.

    $ matchledger export --db demo.db > log.jsonl
    $ matchledger import log.jsonl --db copy.db      # the same events, the same head hash
    $ matchledger verify --db copy.db
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    DEFAULT_DB,
    AsOf,
    AtPosition,
    CliError,
    Db,
    Json,
    KnownAt,
    competition_id,
    complete_match,
    console,
    emit_json,
    match_id,
    open_ledger,
)

if TYPE_CHECKING:
    from ledger import Ledger

PANEL = "Ledger"
app = typer.Typer()

ShowProgress = Annotated[bool | None, typer.Option(
    "--progress/--no-progress",
    help="Show a progress bar (default: on a terminal, for large inputs).")]


@app.command(rich_help_panel=PANEL)
def init(db: Db = DEFAULT_DB) -> None:
    """Create an empty ledger file (nothing happens if it is already a ledger).

    Example: matchledger init --db cup.db
    """
    existed = db.exists() and db.stat().st_size > 0
    with open_ledger(db, create=True) as lg:
        head = lg.head()
    if existed:
        console().print(f"{db} is already a ledger ({head} events)", markup=False)
    else:
        console().print(f"created an empty ledger at {db}", markup=False)


@app.command("import", rich_help_panel=PANEL)
def import_(
    file: Annotated[str, typer.Argument(
        metavar="FILE", help="JSON Lines of events or exported envelopes; - for stdin.")],
    db: Db = DEFAULT_DB,
    progress: ShowProgress = None,
) -> None:
    """Import JSON Lines of events, all or nothing (a bad line writes none of the file).

    A line is {"stream", "type", "data", "occurred_at"} and may carry event_id, recorded_at
    and meta; exported envelopes import back unchanged, hashes included. Events whose
    event_id is already stored are skipped, so importing twice adds nothing.

    Example: matchledger export --db demo.db | matchledger import - --db copy.db
    """
    from ledger import import_lines

    if file != "-" and not Path(file).is_file():
        raise CliError(f"no such file: {file}")
    created = not db.exists()
    started = time.perf_counter()
    try:
        with open_ledger(db, create=True) as lg:
            lines = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
            try:
                total = _count_lines(file)
                with ProgressBar(progress, total, "importing") as advance:
                    report = import_lines(lg, lines, progress=advance)
            except UnicodeDecodeError as e:
                raise CliError(f"{file} is not UTF-8 text ({e.reason} at byte {e.start})") from e
            finally:
                if lines is not sys.stdin:
                    lines.close()
            head = lg.head()
    except BaseException:
        if created:  # a failed import into a new file leaves no file behind
            _remove(db)
        raise
    seconds = time.perf_counter() - started
    skipped = f", {report.skipped} already there" if report.skipped else ""
    console(stderr=True).print(
        f"imported {report.added} events{skipped} into {db} in {seconds:.1f}s "
        f"(head position {head})", markup=False)


def _count_lines(file: str) -> int | None:
    if file == "-":
        return None
    with open(file, "rb") as f:
        return sum(1 for line in f if line.strip())


def _remove(db: Path) -> None:
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)


class ProgressBar:
    """A rich progress bar on stderr, or nothing when off; yields an ``advance(n)``."""

    def __init__(self, show: bool | None, total: int | None, what: str) -> None:
        if show is None:
            show = sys.stderr.isatty() and (total is None or total >= 2000)
        self.show, self.total, self.what = show, total, what
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.show:
            return None
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
        task = self.bar.add_task(self.what, total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def stream_filters(stream: str | None, match: str | None,
                   competition: str | None) -> dict[str, Any]:
    """``stream=`` or ``prefix=`` for the ledger's read API; "match:" or "match:*" is a prefix."""
    given = [x for x in (stream, match, competition) if x]
    if len(given) > 1:
        raise CliError("give one of --stream, --match, --competition")
    if match:
        return {"stream": f"match:{match_id(match)}"}
    if competition:
        return {"stream": f"competition:{competition_id(competition)}"}
    if stream:
        if stream.endswith("*"):
            return {"prefix": stream[:-1]}
        if stream.endswith(":") or stream in ("match", "competition"):
            return {"prefix": stream.rstrip(":") + ":"}
        return {"stream": stream}
    return {}


StreamOpt = Annotated[str | None, typer.Option(
    "--stream", "-s", metavar="STREAM",
    help="One stream (match:ID, competition:ID), or a prefix ending in * or : (match:*).")]
MatchOpt = Annotated[str | None, typer.Option(
    "--match", "-m", autocompletion=complete_match, help="Only this match's stream.")]
CompetitionOpt = Annotated[str | None, typer.Option(
    "--competition", "-c", help="Only this competition's stream.")]
TypeOpt = Annotated[list[str] | None, typer.Option(
    "--type", "-t", metavar="TYPE", help="Only events of this type (repeatable): GoalScored, …")]
AfterOpt = Annotated[int, typer.Option(
    "--after", min=0, metavar="N", help="Only events after position N.")]


def type_filter(types: list[str] | None) -> dict[str, Any]:
    if not types:
        return {}
    from events import EVENT_TYPES

    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise CliError(f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}")
    return {"types": set(types)}


@app.command(rich_help_panel=PANEL)
def export(
    db: Db = DEFAULT_DB,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")] = None,
    stream: StreamOpt = None,
    match: MatchOpt = None,
    competition: CompetitionOpt = None,
    types: TypeOpt = None,
    after: AfterOpt = 0,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
) -> None:
    """Export envelopes as JSON Lines, exactly as stored (hashes included), in position order.

    Example: matchledger export --match uel24-qf4-leg2 --type ShootoutKick
    """
    from ledger import export_lines

    filters = {**stream_filters(stream, match, competition), **type_filter(types),
               "after": after, "as_of": as_of, "known_at": known_at, "at_position": at_position}
    with open_ledger(db) as lg:
        if output is None:
            export_lines(lg, sys.stdout, **filters)
            return
        with output.open("w", encoding="utf-8") as out:
            count = export_lines(lg, out, **filters)
    console(stderr=True).print(f"exported {count} events to {output}", markup=False)


@app.command(rich_help_panel=PANEL)
def verify(db: Db = DEFAULT_DB, json_output: Json = False) -> None:
    """Check the hash chain, positions, versions and append-only triggers; exit 1 if broken.

    Example: matchledger verify --db demo.db
    """
    with open_ledger(db) as lg:
        report = lg.verify()
    if json_output:
        emit_json({"ok": report.ok, "events": report.events, "first_bad": report.first_bad,
                   "problem": report.problem, "head_hash": report.head_hash})
    elif report.ok:
        console().print(f"[green]ok[/green]: {report.events} events, hash chain intact, "
                        f"head hash {report.head_hash}")
    if not report.ok:
        where = f"at position {report.first_bad}" if report.first_bad is not None else "in"
        typer.echo(f"error: ledger {db} broken {where}: {report.problem}", err=True)
        raise typer.Exit(1)


@app.command(rich_help_panel=PANEL)
def stats(db: Db = DEFAULT_DB, json_output: Json = False) -> None:
    """Show what the ledger holds: events, streams, size, positions, time span, head hash.

    Example: matchledger stats --db demo.db --json
    """
    from cli import render

    with open_ledger(db) as lg:
        data = ledger_stats(lg)
    if json_output:
        emit_json(data)
        return
    rows = {
        "file": f"{data['path']} ({_size(data['size_bytes'])})",
        "events": data["events"],
        "streams": ", ".join(f"{n} {k}" for k, n in data["streams"].items()) or "none",
        "positions": f"{data['first_position']}..{data['last_position']}"
        if data["events"] else "none",
        "occurred": f"{data['first_occurred_at']} .. {data['last_occurred_at']}",
        "recorded": f"{data['first_recorded_at']} .. {data['last_recorded_at']}",
        "head hash": data["head_hash"],
        "read models": f"caught up to position {data['read_models_position']}"
        if data["read_models_position"] is not None else "not built (matchledger rebuild)",
    }
    if not data["events"]:
        for key in ("occurred", "recorded", "head hash"):
            rows.pop(key)
    out = console()
    out.print(render.key_values(rows))
    if data["types"]:
        out.print(render.key_values(data["types"], title="events by type"))


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def ledger_stats(lg: Ledger) -> dict[str, Any]:
    """The ledger's own statistics plus how far the read models have caught up."""
    from projections import checkpoint

    return {**lg.stats(), "read_models_position": checkpoint(lg.db)}


__all__ = ["ProgressBar", "app", "ledger_stats", "stream_filters", "type_filter"]

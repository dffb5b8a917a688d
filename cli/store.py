"""Commands on the ledger file itself: init, import, export, verify, stats.

    $ matchledger export --db demo.db > log.jsonl
    $ matchledger import log.jsonl --db copy.db      # the same events, the same head hash
    $ matchledger verify --db copy.db
    $ matchledger import 2023-24/el.txt de.1.json --db seasons.db   # openfootball seasons
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matchledger.cli.common import (
    DEFAULT_DB,
    MAX_POSITION,
    AsOf,
    AtPosition,
    CliError,
    Db,
    Json,
    KnownAt,
    ProgressBar,
    competition_id,
    complete_competition,
    complete_match,
    console,
    emit_json,
    is_ledger_file,
    is_postgres,
    json_lines_out,
    match_id,
    open_ledger,
    printable,
)
from matchledger.cli.sources import (
    JSONL,
    STATSBOMB,
    STDIN,
    Format,
    format_of,
    import_source_file,
    jsonl_json,
    source_options,
    statsbomb_groups,
    stdin,
    summary_json,
)

if TYPE_CHECKING:
    from matchledger.ledger import ImportReport, Ledger
    from matchledger.projections import ReadModelReport

PANEL = "Ledger"
app = typer.Typer()

ShowProgress = Annotated[bool | None, typer.Option(
    "--progress/--no-progress",
    help="Show a progress bar (default: on a terminal, for openfootball files, several files "
         "or a large JSON Lines file).")]


@app.command(rich_help_panel=PANEL)
def init(db: Db = DEFAULT_DB) -> None:
    """Create an empty ledger file (nothing happens if it is already a ledger).

    Example: matchledger init --db cup.db
    """
    existed = (is_ledger_file(db) if is_postgres(db)
               else Path(db).exists() and Path(db).stat().st_size > 0)
    with open_ledger(db, create=True) as lg:
        head = lg.head()
    if existed:
        console().print(f"{db} is already a ledger ({head} events)", markup=False)
    else:
        console().print(f"created an empty ledger at {db}", markup=False)


ALIAS_PANEL = "Football.TXT and football.json files"


@app.command("import", rich_help_panel=PANEL)
def import_(
    files: Annotated[list[str], typer.Argument(
        metavar="PATH",
        help="JSON Lines of events or exported envelopes (- for stdin), Football.TXT or "
             "football.json files, StatsBomb event files (each with its line-ups and match "
             "records after it, or found beside it); each file all or nothing.")],
    db: Db = DEFAULT_DB,
    file_format: Annotated[Format, typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="auto (detected from the content), jsonl, football.txt, football.json or "
             "statsbomb.")
    ] = Format.AUTO,
    alias: Annotated[list[str] | None, typer.Option(
        "--alias", "-a", metavar="NAME=TEAM", rich_help_panel=ALIAS_PANEL,
        help='A team name as the file writes it, and the team id it is (repeatable): '
             '"Bayer 04 Leverkusen=leverkusen".')] = None,
    aliases_file: Annotated[Path | None, typer.Option(
        "--aliases", metavar="FILE", rich_help_panel=ALIAS_PANEL,
        help="A file of NAME=TEAM lines (# comments).")] = None,
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="ID", rich_help_panel=ALIAS_PANEL,
        help="The competition id (default: from the title and season, e.g. "
             "bundesliga-2023-24).")] = None,
    season: Annotated[str | None, typer.Option(
        "--season", metavar="SEASON", rich_help_panel=ALIAS_PANEL,
        help="The season, when neither the title nor the path says it: 2023/24, 2022.")
    ] = None,
    timezone: Annotated[str | None, typer.Option(
        "--timezone", metavar="ZONE", rich_help_panel=ALIAS_PANEL,
        help="The zone of kick-off times the file gives none for: Europe/Berlin, UTC+1.")
    ] = None,
    away_goals: Annotated[bool | None, typer.Option(
        "--away-goals/--no-away-goals", rich_help_panel=ALIAS_PANEL,
        help="Whether away goals (in extra time too) settle a level two-legged tie "
             "(default: on for UEFA seasons before 2021/22).")] = None,
    points_for_win: Annotated[int | None, typer.Option(
        "--points-for-win", min=1, metavar="N", rich_help_panel=ALIAS_PANEL,
        help="Points for a win in league tables (default 3).")] = None,
    round_kind: Annotated[list[str] | None, typer.Option(
        "--round-kind", metavar="ROUND=KIND", rich_help_panel=ALIAS_PANEL,
        help='Force a round to be league or knockout (repeatable): "Playoffs=knockout".')
    ] = None,
    allow_duplicates: Annotated[bool, typer.Option(
        "--allow-duplicates", rich_help_panel=ALIAS_PANEL,
        help="Import matches the ledger holds under other ids (records would count them "
             "twice).")] = False,
    progress: ShowProgress = None,
    json_output: Json = False,
) -> None:
    """Import files, each in one transaction: JSON Lines of events, or openfootball seasons.

    JSON Lines: a line is {"stream", "type", "data", "occurred_at"} and may carry event_id,
    recorded_at and meta; exported envelopes import back unchanged, hashes included.
    Football.TXT and football.json: a season's competition, teams (matched to the teams the
    ledger knows), ties, fixtures and results, with its league or knockout structure
    inferred. StatsBomb event data (read through kloppy: pip install 'matchledger[events]'):
    one match's periods, goals, cards, substitutions, line-ups and shoot-out at their clock.
    Importing a file twice adds nothing. Several files go in one after the other;
    the first that fails stops the import, and the files before it stay imported.

    Example: matchledger import 2023-24/el.txt de.1.json --alias "Bayer 04 Leverkusen=leverkusen"
    """
    from matchledger.ledger import LedgerError, new_ledger

    options = source_options(
        alias=alias or (), aliases_file=aliases_file, round_kind=round_kind or (),
        competition=competition, season=season, timezone=timezone, away_goals=away_goals,
        points_for_win=points_for_win, allow_duplicates=allow_duplicates)
    if files.count(STDIN) > 1:
        raise CliError("stdin (-) can be imported once")
    sources = [(file, format_of(file, file_format)) for file in files]
    if options.given() and all(fmt == JSONL for _, fmt in sources):
        raise CliError(f"{', '.join(options.given())}: only for Football.TXT and football.json "
                       "files, not JSON Lines")
    groups = statsbomb_groups(sources)
    lines = {file: _count_lines(file) for file, fmt in sources if fmt == JSONL}
    if progress is None:
        progress = sys.stderr.isatty() and (
            len(sources) > 1 or any(fmt != JSONL for _, fmt in sources)
            or any(n is None or n >= 2000 for n in lines.values()))
    started = time.perf_counter()
    done: list[dict[str, Any]] = []
    told: list[str] = []
    stopped: CliError | None = None
    # a new file appears only once something is imported, and never over one that another
    # process created meanwhile (a failed import removes only what it made)
    opened = (open_ledger(db, create=True) if is_postgres(db) or Path(db).exists()
              else new_ledger(Path(db)))
    with opened as lg, ProgressBar(progress) as bar:
        seasons = any(fmt != JSONL for _, fmt in sources)
        files_done = bar.task("importing", len(groups)) if len(groups) > 1 or seasons else None
        for n, (group, fmt) in enumerate(groups):
            file = group[0]
            try:
                if fmt == JSONL:
                    report = _import_jsonl(lg, file, bar.task(file, lines[file]))
                    done.append(jsonl_json(file, report.added, report.skipped))
                    told.append(f"{file} (jsonl): events: {report.added} added, "
                                f"{report.skipped} already in the ledger")
                else:
                    summary = import_source_file(lg, group if fmt == STATSBOMB else file,
                                                 fmt, options)
                    done.append(summary_json(summary))
                    told += summary.lines()
            except (LedgerError, CliError, OSError) as e:
                if not done:
                    raise
                stopped = CliError(_stopped(e, file, [d["file"] for d in done],
                                            len(groups) - n - 1))
                break  # the files before it stay imported
            if files_done is not None:
                files_done(1)
        head = lg.head()
    if stopped is not None:
        raise stopped
    seconds = time.perf_counter() - started
    added, skipped = sum(d["added"] for d in done), sum(d["skipped"] for d in done)
    if json_output:
        emit_json({"db": str(db), "files": done, "added": added, "skipped": skipped,
                   "head": head})
        return
    out = console(stderr=True)
    if len(done) == 1 and done[0]["format"] == JSONL:  # as it always said
        already = f", {skipped} already there" if skipped else ""
        out.print(f"imported {added} events{already} into {db} in {seconds:.1f}s "
                  f"(head position {head})", markup=False)
        return
    for line in told:
        out.print(line, markup=False)
    out.print(_closing(done, db, seconds, head), markup=False)


def _import_jsonl(lg: Ledger, file: str, advance: Callable[[int], None] | None
                  ) -> ImportReport:
    from matchledger.ledger import LedgerError, import_lines

    name = "stdin" if file == STDIN else file
    try:
        with contextlib.ExitStack() as opened:
            lines = (stdin.lines() if file == STDIN
                     else opened.enter_context(open(file, encoding="utf-8")))
            return import_lines(lg, lines, progress=advance)
    except LedgerError as e:  # "line 5: ..." from the ledger; say which file's
        raise LedgerError(f"{name}: {e}") from e
    except UnicodeDecodeError as e:
        raise CliError(f"{name} is not UTF-8 text ({e.reason} at byte {e.start})") from e


def _stopped(error: BaseException, file: str, kept: list[str], untried: int) -> str:
    """The error of the file that stopped an import of several, and what stayed imported."""
    from matchledger.cli.common import one_line

    later = f"; the {untried} file(s) after it were not imported" if untried else ""
    return (f"{one_line(error)} (nothing of {file} was written{later}; the "
            f"{len(kept)} file(s) before it stayed imported: {', '.join(kept)})")


def _closing(done: list[dict[str, Any]], db: str, seconds: float, head: int) -> str:
    """The last line of an import: what every file added up to."""
    def total(key: str) -> int:
        return sum(len(d[key]) if isinstance(d[key], list) else d[key] or 0 for d in done)

    seasons = ""
    if any(d["format"] != JSONL for d in done):
        seasons = (f"{total('matches')} matches, {total('ties')} ties inferred, teams "
                   f"{total('teams_new')} new and {total('teams_matched')} matched; ")
    return (f"imported {len(done)} file(s) into {db} in {seconds:.1f}s: {seasons}events "
            f"{total('added')} added, {total('skipped')} already there "
            f"(head position {head})")


def _count_lines(file: str) -> int | None:
    if file == STDIN:
        return None
    with open(file, "rb") as f:
        return sum(1 for line in f if line.strip())


def stream_filters(stream: str | None, match: str | None,
                   competition: str | None) -> dict[str, Any]:
    """``stream=``, ``prefix=`` or ``competition=`` for the ledger's read API; "match:" or
    "match:*" is a prefix."""
    given = [x for x in (stream, match, competition) if x]
    if len(given) > 1:
        raise CliError("give one of --stream, --match, --competition")
    if match:
        return {"stream": f"match:{match_id(match)}"}
    if competition:
        return {"competition": competition_id(competition)}
    if stream:
        if stream.endswith("*"):
            return {"prefix": stream[:-1]}
        if stream.endswith(":") or stream in ("match", "competition"):
            return {"prefix": stream.rstrip(":") + ":"}
        return {"stream": stream}
    return {}


def known_streams(lg: Ledger, filters: dict[str, Any]) -> None:
    """An unknown match or competition in ``filters`` is an error naming the close ones,
    rather than "no events": a mistyped id is the likelier story."""
    from matchledger.cli.views import unknown

    stream = filters.get("stream") or ""
    kind, _, ident = stream.partition(":")
    competition = filters.get("competition") or (ident if kind == "competition" else None)
    if competition is not None and not lg.has_competition(competition):
        raise unknown("competition", competition, lg.competition_ids())
    if kind == "match" and lg.competition_of(ident) is None:
        raise unknown("match", ident, lg.match_ids())


StreamOpt = Annotated[str | None, typer.Option(
    "--stream", "-s", metavar="STREAM",
    help="One stream (match:ID, competition:ID), or a prefix ending in * or : (match:*).")]
MatchOpt = Annotated[str | None, typer.Option(
    "--match", "-m", autocompletion=complete_match, help="Only this match's stream.")]
CompetitionOpt = Annotated[str | None, typer.Option(
    "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
    help="Only this competition: its own stream and its matches'.")]
TypeOpt = Annotated[list[str] | None, typer.Option(
    "--type", "-t", metavar="TYPE", help="Only events of this type (repeatable): GoalScored, …")]
AfterOpt = Annotated[int, typer.Option(
    "--after", min=0, max=MAX_POSITION, metavar="N", help="Only events after position N.")]


def type_filter(types: list[str] | None) -> dict[str, Any]:
    if not types:
        return {}
    from matchledger.events import EVENT_TYPES

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
    from matchledger.ledger import amendments_whole, export_lines, whole_file

    filters = {**stream_filters(stream, match, competition), **type_filter(types),
               "after": after, "as_of": as_of, "known_at": known_at, "at_position": at_position}
    if output is not None and _is_ledger_file(output, db):
        raise CliError(f"--output {output} is the ledger's own file: choose another")
    # one read transaction: the head printed is the head of what was exported
    with open_ledger(db, read_only=True) as lg, lg.transaction(write=False):
        known_streams(lg, filters)
        amendments_whole(lg, **filters)  # else the file would not import
        head = lg.anchor() if lg.head() else None
        if output is None:
            count = export_lines(lg, json_lines_out(), **filters)
        else:
            with whole_file(output) as out:  # a full disk leaves no half-written file
                count = export_lines(lg, out, **filters)
    if output is None and not sys.stderr.isatty():  # a pipe reads stdout; say it to people
        return
    told = f"exported {count} events to {output}; " if output is not None else ""
    keep = (f"the log's head is {head} (keep it: matchledger verify --head {head})"
            if head is not None else "the log is empty")
    console(stderr=True).print(told + keep, markup=False)


def _is_ledger_file(output: Path, db: str) -> bool:
    """Whether writing ``output`` would overwrite the ledger ``db`` or its WAL and journal
    files (the same path, a link to it, or the same file by another name)."""
    if is_postgres(db):
        return False
    for suffix in ("", "-wal", "-shm", "-journal"):
        own = Path(f"{db}{suffix}")
        if output.resolve() == own.resolve() or (
                output.exists() and own.exists() and os.path.samefile(output, own)):
            return True
    return False


@app.command(rich_help_panel=PANEL)
def verify(
    db: Db = DEFAULT_DB,
    head: Annotated[list[str] | None, typer.Option(
        "--head", metavar="POSITION:HASH",
        help="A head kept from before (export and stats print it; the hash alone also "
             "works): the log must still hold it (repeatable).")] = None,
    anchor: Annotated[list[Path] | None, typer.Option(
        "--anchor", metavar="FILE",
        help="A head saved by matchledger anchor --output FILE (repeatable).")] = None,
    key: Annotated[Path | None, typer.Option(
        "--key", metavar="PUBLIC_KEY",
        help="The public key (FILE.pub of matchledger keygen): every stored checkpoint must "
             "be signed by it, and there must be one.")] = None,
    rules: Annotated[bool, typer.Option(
        "--rules/--no-rules",
        help="Judge every event again by the rules of append (--no-rules: the chain, heads "
             "and checkpoints only, several times faster).")] = True,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")
    ] = None,
    read_models: ReadModelsOpt = False,
    json_output: Json = False,
) -> None:
    """Check the hash chain, positions, versions, rules and triggers; exit 1 if broken.

    The hash chain proves that no event was changed, inserted or removed without re-hashing
    every event after it. It cannot tell a log whose tail was rewritten and hashed again, or cut
    short, from an honest one: keep the head elsewhere (export and stats print it, anchor saves
    it) and give it with --head or --anchor, or sign checkpoints (matchledger checkpoint) and
    give the public key with --key; stored checkpoints are checked against the log even without
    it. Every event is judged again by the rules that admit appends, so a row added behind the
    ledger's back, hash and all, fails where the rules refuse it.

    --read-models recomputes the read models and snapshots apart and names every row
    that differs from what is stored.

    Example: matchledger verify --db demo.db --anchor demo.anchor --key ledger-key.pub
    """
    from matchledger.ledger import Anchor, load_public_key

    anchors = [Anchor.parse(text) for text in head or ()]
    anchors += [Anchor.load(path) for path in anchor or ()]
    public = load_public_key(key) if key is not None else None
    show = sys.stderr.isatty() if progress is None else progress
    with open_ledger(db, verifying=True) as lg, ProgressBar(show) as bars:
        report = lg.verify(progress=bars.tracker("verifying"), anchors=anchors, key=public,
                           rules=rules)
        models = check_models(lg, bars) if read_models else None
    if json_output:
        emit_json({"ok": report.ok, "events": report.events, "first_bad": report.first_bad,
                   "problem": report.problem, "head_hash": report.head_hash,
                   **models_json(models)})
    elif report.ok:
        held = [f"{len(anchors)} kept head(s) found"] if anchors else []
        held += ["its signed checkpoints verified"] if public is not None else []
        console().print(f"[green]ok[/green]: {report.events} events, hash chain intact"
                        f"{', rules hold' if rules else ''}"
                        f"{''.join(', ' + h for h in held)}, "
                        f"head hash {report.head_hash}")
    if not report.ok:
        where = f"at position {report.first_bad}" if report.first_bad is not None else "in"
        problem = printable(report.problem or "")
        typer.echo(f"error: ledger {db} broken {where}: {problem}", err=True)
        raise typer.Exit(1)
    if models is not None:
        models_verdict(db, models, json_output)


@app.command(rich_help_panel=PANEL)
def stats(db: Db = DEFAULT_DB, json_output: Json = False) -> None:
    """Show what the ledger holds: events, streams, size, positions, time span, head hash.

    Example: matchledger stats --db demo.db --json
    """
    from matchledger.cli import render

    with open_ledger(db, read_only=True) as lg:
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
        "head": f"{data['last_position']}:{data['head_hash']}  (keep it to verify --head)",
        "read models": f"caught up to position {data['read_models_position']}"
        if data["read_models_position"] is not None else "not built (matchledger rebuild)",
    }
    if not data["events"]:
        for key in ("occurred", "recorded", "head"):
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


# --- verify --read-models ---------------------------------------------------------------------

ReadModelsOpt = Annotated[bool, typer.Option(
    "--read-models", help="Also recompute the read models (rm_* tables) up to their "
    "checkpoint and the snapshots at theirs, apart from the ledger, and name every row that "
    "differs.")]


def check_models(lg: Ledger, bars: ProgressBar) -> ReadModelReport:
    """The read models of ``lg`` checked against its log (``projections.check_read_models``)."""
    from matchledger.projections import check_read_models

    return check_read_models(lg, progress=bars.tracker("recomputing the read models"))


def models_json(report: ReadModelReport | None) -> dict[str, Any]:
    """The ``read_models`` key of ``verify --json`` (none without --read-models)."""
    if report is None:
        return {}
    return {"read_models": {
        "ok": report.ok, "position": report.position, "rows": report.rows,
        "differences": [{"table": d.table, "key": list(d.key), "problem": d.problem}
                        for d in report.differences]}}


def models_verdict(db: str, report: ReadModelReport, json_output: bool) -> None:
    """Say what the read-model check found; exit 1 when a row differs."""
    if report.ok:
        if not json_output:
            said = ("not built (nothing to check)" if report.position is None else
                    f"{report.rows} rows match the log at position {report.position}")
            console().print(f"[green]ok[/green]: read models {said}")
        return
    if not json_output:
        out = console()
        for difference in report.differences:
            out.print(str(difference), markup=False)
    tables = sorted({d.table for d in report.differences})
    typer.echo(f"error: read models of {db} differ from the log in {len(report.differences)} "
               f"row(s) of {', '.join(tables)} (matchledger rebuild makes them again)",
               err=True)
    raise typer.Exit(1)


def ledger_stats(lg: Ledger) -> dict[str, Any]:
    """The ledger's own statistics plus how far the read models have caught up."""
    from matchledger.projections import checkpoint

    return {**lg.stats(), "read_models_position": checkpoint(lg.db)}


__all__ = ["app", "known_streams", "ledger_stats", "stream_filters", "type_filter"]

"""``matchledger rebuild``: recreate the read models (``rm_*`` tables) and snapshots.

Reads never need it (every view can fold the log itself, from the nearest snapshot), but tools
that query the file with SQL do, snapshots make time travel on a long log fast, and the views
of every team read the read models while they are caught up. ``--follow`` keeps them so.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from matchledger.cli.common import (
    DEFAULT_DB,
    CliError,
    Db,
    Interval,
    Json,
    ProgressBar,
    console,
    emit_json,
    open_ledger,
)

if TYPE_CHECKING:
    from matchledger.ledger import Ledger
    from matchledger.projections import Projector

app = typer.Typer()

# the read models the projections keep (rm_<name>); one fold feeds them all
PROJECTIONS = ("competition", "team", "scoreboard", "tie", "bracket", "team_record", "streak",
               "player")


@app.command(rich_help_panel="Projections")
def rebuild(
    projection: Annotated[str | None, typer.Argument(
        metavar="PROJECTION",
        help=f"One of {', '.join(PROJECTIONS)}; all when left out. They share one fold, so "
             "every read model is rebuilt with it.")] = None,
    db: Db = DEFAULT_DB,
    incremental: Annotated[bool, typer.Option(
        "--catch-up", help="Only apply what is new since the last checkpoint.")] = False,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress",
        help="Show a progress bar (default: on a terminal).")] = None,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="Then keep them current as other processes append, until "
        "Ctrl-C: one line per batch applied.")] = False,
    interval: Interval = 0.5,
    json_output: Json = False,
) -> None:
    """Rebuild the read models and snapshots from the log, with a progress bar.

    With --follow, keep them current during a match day, in a terminal of its own
    (matchledger rebuild --catch-up --follow): every team's players, streaks and teams then
    answer from them.

    Example: matchledger rebuild --db demo.db
    """
    from matchledger.projections import Projector

    if projection is not None and projection.removeprefix("rm_") not in PROJECTIONS:
        raise CliError(f"unknown projection {projection!r}; known: {', '.join(PROJECTIONS)}")
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()
    with open_ledger(db) as lg:
        projector = Projector(lg, once=not follow)  # a follower keeps its state in memory
        with ProgressBar(show) as bars:
            bar = bars.tracker("catching up" if incremental else "rebuilding")
            if incremental:
                position = projector.catch_up(progress=bar)
            else:
                position = projector.rebuild(progress=bar)
        rows = {t: lg.db[t].count for t in sorted(lg.db.table_names()) if t.startswith("rm_")}
        seconds = time.perf_counter() - started
        summary = {"position": position, "seconds": round(seconds, 3), "tables": rows}
        if json_output and follow:  # JSON Lines: this, then a line per batch
            print(json.dumps(summary), flush=True)
        elif json_output:
            emit_json(summary)
        else:
            from matchledger.cli import render

            verb = "caught up" if incremental else "rebuilt"
            out = console()
            out.print(f"{verb} the read models to position {position} in {seconds:.2f}s")
            out.print(render.key_values({t: f"{n} row{'s' if n != 1 else ''}"
                                         for t, n in rows.items()
                                         if not t.startswith(("rm_checkpoint", "rm_snapshot"))},
                                        title="read models"))
        if follow:
            console(stderr=True).print(f"following {lg.where} (Ctrl-C to stop)", style="dim",
                                       markup=False)
            _follow(lg, projector, position, interval, json_output)


def _follow(lg: Ledger, projector: Projector, position: int, interval: float,
            json_output: bool) -> None:
    """Catch up every ``interval`` seconds (on PostgreSQL, as soon as an append's NOTIFY
    comes, ``interval`` at the longest), forever; a line for each batch applied. A write
    lock held past the busy timeout (a long import) is waited out, not fatal: the catch-up
    rolled back, and the next one starts again from the checkpoint."""
    while True:
        lg.wait(interval)
        started = time.perf_counter()
        try:
            reached = projector.catch_up()
        except sqlite3.OperationalError as e:
            console(stderr=True).print(f"waiting: {e}", style="dim", markup=False)
            continue
        if reached == position:
            continue
        seconds = time.perf_counter() - started
        if json_output:
            print(json.dumps({"position": reached, "events": reached - position,
                              "seconds": round(seconds, 4)}), flush=True)
        else:
            console().print(f"caught up to position {reached} (+{reached - position} in "
                            f"{seconds * 1000:.0f} ms)")
            sys.stdout.flush()
        position = reached

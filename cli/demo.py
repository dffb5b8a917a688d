"""``matchledger demo``: a fresh ledger from the bundled seed, and the story it tells.

The seed (``events/seed.jsonl``) holds the UEFA Europa League 2023/24 quarter-finals as five
news articles reported them. The demo imports it into a new ledger (a temporary file unless
``--db`` keeps it), then asks the questions the ledger exists for, each as of its moment.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from matchledger.cli.common import CliError, When, console, open_ledger, parse_moment

if TYPE_CHECKING:
    from rich.console import Console

    from matchledger.ledger import Ledger

app = typer.Typer()

COMPETITION = "uel-2023-24"
DRAW = "2024-03-15T12:00+01:00"


def seed_lines() -> list[str]:
    text = (resources.files("matchledger.events") / "seed.jsonl").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


@app.command(rich_help_panel="Start here")
def demo(
    db: Annotated[str | None, typer.Option(
        "--db", metavar="PATH",
        help="Keep the demo ledger in PATH (a new file, or an empty PostgreSQL database: "
             "postgresql://...); default: a temporary file, so the demo never touches your "
             "matchledger.db.")] = None,
) -> None:
    """Build a ledger from the bundled seed data and show what it can tell.

    The bracket as of the draw, 12 April and 19 April; Marseille v Benfica's shoot-out kick
    by kick; Leverkusen's streaks; what the ledger knew when.

    Example: matchledger demo --db demo.db
    """
    if db is None:
        with tempfile.TemporaryDirectory(prefix="matchledger-demo-") as folder:
            _run(Path(folder) / "demo.db", kept=False)
    else:
        _run(db, kept=True)


def _run(path: str | Path, *, kept: bool) -> None:
    from rich.markup import escape

    from matchledger.ledger import import_lines

    lines = seed_lines()
    with open_ledger(path, create=True) as lg:
        head = lg.head()
        if head and head != len(lines):
            events = "1 event" if head == 1 else f"{head} events"
            raise CliError(f"{lg.where} already holds {events}: the demo builds a fresh ledger, "
                           "give it a new --db")
        report = import_lines(lg, lines)
        checked = lg.verify()
        out = console()
        what = "kept at" if kept else "in a temporary file,"
        out.print(f"[bold]matchledger demo[/bold]: {len(lines)} events from the bundled seed "
                  f"({report.added} imported) {what} {escape(lg.where)}; hash chain "
                  f"{'verified' if checked.ok else 'BROKEN'}.")
        out.print("[dim]The UEFA Europa League 2023/24 quarter-finals, as five news articles "
                  "reported them.[/dim]")
        _story(lg, out, lg.where if kept else None)


def _story(lg: Ledger, out: Console, kept: str | None) -> None:
    from rich.markup import escape
    from rich.rule import Rule

    import matchledger.projections as P
    from matchledger.cli import render
    from matchledger.cli.views import match_views

    db = f" --db {escape(kept)}" if kept else ""

    def chapter(title: str, command: str) -> None:
        out.print()
        out.print(Rule(f"[bold]{title}[/bold]", align="left", style="cyan"))
        out.print(f"[dim]$ matchledger {command}{db}[/dim]")

    for title, moment in (("The draw, 15 March 2024", DRAW),
                          ("After the first legs: as of 12 April", "2024-04-12"),
                          ("After the second legs: as of 19 April", "2024-04-19")):
        when = When(as_of=parse_moment(moment))
        chapter(title, f"bracket {COMPETITION} --as-of {moment}")
        state = P.state_at(lg, **when.filters())
        out.print(render.bracket_tree(P.bracket(state, COMPETITION), render.Names(state),
                                      when.describe()))

    chapter("Marseille v Benfica, 18 April: the shoot-out kick by kick",
            "score uel24-qf4-leg2")
    state = P.state_at(lg)
    names = render.Names(state)
    board, view = match_views(state, "uel24-qf4-leg2")
    out.print(render.scoreboard_view(board, view, names))

    chapter("Leverkusen's streaks, across competitions, in kick-off order",
            "streaks Leverkusen")
    out.print(render.streaks_table(P.streaks(state, lg.registry().resolve_team("Leverkusen")),
                                   state, names))

    chapter("Two clocks: what did we know on the morning of 12 April?",
            "score uel24-qf2-leg1 --known-at 2024-04-12T10:00")
    for known in ("2024-04-12T10:00", "2024-04-12T11:00"):
        then = P.state_at(lg, known_at=parse_moment(known))
        board, view = match_views(then, "uel24-qf2-leg1")
        line = render.headline(board, view, render.Names(then))
        out.print(f"known at {known} UTC: ", line, sep="")
    out.print("[dim]The first legs were played on 11 April but recorded the next morning "
              "(10:44 UTC): --as-of asks when things happened, --known-at when the ledger "
              "learned them.[/dim]")

    out.print()
    if kept:
        out.print(f"Next: [bold]matchledger log{db} --last 10[/bold], "
                  f"[bold]matchledger tie QF1{db}[/bold], or see the README for a "
                  "live match.")
    else:
        out.print("That ledger was temporary. Keep one to explore: "
                  "[bold]matchledger demo --db demo.db[/bold]")


"""``matchledger log``: the events themselves, filtered; ``--follow`` tails them live.

Following polls the file for positions past the last one seen: positions are gapless and in
commit order, so "everything after N" never misses an event appended by another process.

    $ matchledger log --match uel24-sf1-leg1 --follow      # a second terminal on match day
"""

from __future__ import annotations

import sys
from collections import deque
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matchledger.cli.common import (
    DEFAULT_DB,
    MAX_POSITION,
    AsOf,
    AtPosition,
    Db,
    Interval,
    KnownAt,
    console,
    json_lines_out,
    open_ledger,
)
from matchledger.cli.store import (
    CompetitionOpt,
    MatchOpt,
    StreamOpt,
    TypeOpt,
    known_streams,
    stream_filters,
    type_filter,
)

if TYPE_CHECKING:
    from rich.console import Console

    from matchledger.ledger import Envelope, Ledger
    from matchledger.projections.query import Hot

app = typer.Typer()


@app.command(rich_help_panel="Ledger")
def log(
    db: Db = DEFAULT_DB,
    stream: StreamOpt = None,
    match: MatchOpt = None,
    competition: CompetitionOpt = None,
    types: TypeOpt = None,
    after: Annotated[int | None, typer.Option(
        "--after", min=0, max=MAX_POSITION, metavar="N",
        help="Only events after position N.")] = None,
    last: Annotated[int | None, typer.Option(
        "--last", "-n", min=0, max=MAX_POSITION, metavar="N",
        help="Only the last N events that match.")] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print JSON Lines of envelopes (the format of export).")] = False,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="Keep printing events as other processes append them (after "
                               "the last 10, unless --after or --last says otherwise).")] = False,
    interval: Interval = 0.5,
) -> None:
    """Show the log: position, event id, stream, version, time and what happened.

    Filter by stream, match, competition, type and time; --follow tails the log live (a
    second terminal during a match), each batch of match events followed by the score as it
    now stands. The table shows at most 1,000 events unless --last asks for more; --json
    prints every one.

    Example: matchledger log --match uel24-qf4-leg2 --type ShootoutKick
    """
    filters: dict[str, Any] = {**stream_filters(stream, match, competition),
                               **type_filter(types), "as_of": as_of, "known_at": known_at}
    one_stream = "stream" in filters
    with open_ledger(db, read_only=True) as lg:
        known_streams(lg, filters)
        head = lg.head() if at_position is None else min(at_position, lg.head())
        if follow and after is None and last is None:
            last = 10  # like tail -f
        first = after or 0
        start = first if last is None else _start_of_last(lg, last, first, head, filters)
        upto, left_out = head, None
        if last is None and not follow and not json_output:  # a table, not a million rows
            start, upto, left_out = _shown(lg, first, head, after is not None, filters)
        show = _Printer(lg, json_output=json_output, one_stream=one_stream, follow=follow)
        show(start, upto, filters)
        if left_out:
            console(stderr=True).print(left_out, style="dim", markup=False)
        if not follow:
            return
        console(stderr=True).print(f"following {lg.where} (Ctrl-C to stop)", style="dim",
                                   markup=False)
        seen = head
        while at_position is None or seen < at_position:
            lg.wait(interval)  # PostgreSQL: woken by an append's NOTIFY
            now = lg.head() if at_position is None else min(at_position, lg.head())
            if now > seen:
                show(seen, now, filters)
                seen = now


SHOWN = 1_000  # the most events a table of the log shows unless --last asks for more


def _shown(lg: Ledger, after: int, head: int, from_after: bool, filters: dict[str, Any]
           ) -> tuple[int, int, str | None]:
    """The positions (start, upto] of the events a table shows: all of them, or the first
    ``SHOWN`` after ``--after``, or else the last ``SHOWN``; and what was left out, if any."""
    more = "--after N or --last N for others, --json for every one"
    if from_after:
        rows = [env.position for env in lg.read(after=after, at_position=head,
                                                limit=SHOWN + 1, **filters)]
        if len(rows) <= SHOWN:
            return after, head, None
        return after, rows[SHOWN - 1], f"the first {SHOWN:,} events after {after} shown; {more}"
    start = _start_of_last(lg, SHOWN, after, head, filters)
    if start == after or next(lg.read(after=after, at_position=start, limit=1, **filters),
                              None) is None:
        return start, head, None
    return start, head, f"the last {SHOWN:,} events shown; {more}"


def _start_of_last(lg: Ledger, last: int, after: int, head: int,
                   filters: dict[str, Any]) -> int:
    """The position after which the last ``last`` matching events lie: read back from the
    head in growing windows, so that ``--last 10`` of a long log reads little of it."""
    window = max(64, last * 4)
    while True:
        since = max(after, head - window)
        tail = deque((env.position for env in lg.read(after=since, at_position=head, **filters)),
                     maxlen=last)
        if len(tail) == last or since == after:
            return tail[0] - 1 if tail else head
        window *= 4


class _Printer:
    """Prints the events in (after, upto]: a table, lines while following, or JSON Lines."""

    def __init__(self, lg: Ledger, *, json_output: bool, one_stream: bool, follow: bool) -> None:
        self.lg, self.json, self.one_stream, self.follow = lg, json_output, one_stream, follow
        self.out: Console = console()
        self.folds: dict[str, Hot] = {}  # competition -> its fold, caught up at each batch

    def __call__(self, after: int, upto: int, filters: dict[str, Any]) -> None:
        if self.json:
            from matchledger.ledger import export_lines

            export_lines(self.lg, json_lines_out(), after=after, at_position=upto, **filters)
            sys.stdout.flush()
            return
        from matchledger.cli import render

        envelopes = list(self.lg.read(after=after, at_position=upto, **filters))
        if not self.follow:
            if envelopes:
                self.out.print(render.log_table(envelopes, show_stream=not self.one_stream))
            else:
                self.out.print("[dim]no events[/dim]")
            return
        for env in envelopes:
            self.out.print(render.log_line(env, show_stream=not self.one_stream))
        self._scores(envelopes)
        sys.stdout.flush()

    def _scores(self, envelopes: list[Envelope]) -> None:
        """After a batch of match events, each touched match's score line as it now stands."""
        from matchledger.cli import render
        from matchledger.cli.live import current_match

        matches = dict.fromkeys(e.stream_id for e in envelopes if e.stream.startswith("match:"))
        for match in matches:
            moment = max(e.occurred_at for e in envelopes if e.stream_id == match)
            state, board, view = current_match(self.lg, match, moment, hot=self._fold(match))
            line = render.headline(board, view, render.Names(state))
            self.out.print("        → ", line, sep="")

    def _fold(self, match: str) -> Hot | None:
        from matchledger.cli.live import match_fold

        fold = match_fold(self.lg, match)
        if fold is None or fold.competition is None:
            return None
        return self.folds.setdefault(fold.competition, fold)

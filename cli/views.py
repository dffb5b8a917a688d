"""The read commands: score, tie, bracket, table, teams, streaks, players — all askable
in the past.

Each parses what was typed, asks the query layer (``projections.query``, which the web server
asks too) with the time-travel filters given, then prints the view as rich output, or its JSON
contract with ``--json`` (``projections.to_json``: the CLI prints it, never re-derives it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from matchledger.cli.common import (
    MAX_POSITION,
    CliError,
    CompetitionArg,
    MatchArg,
    Reading,
    When,
    competition_id,
    complete_competition,
    complete_team,
    complete_tie,
    console,
    emit_json,
    match_id,
    open_ledger,
    options,
    parse_day,
)

if TYPE_CHECKING:
    from matchledger.projections import Scoreboard, State, TieView

PANEL = "Views (all take --as-of, --known-at, --at-position, --json)"

app = typer.Typer()


# --- shared ----------------------------------------------------------------------------------


def suggest(name: str, known: Iterable[str], what: str, when: When | None = None) -> str:
    """The tail of an error about ``name`` (``projections.query.suggest``)."""
    from matchledger.projections.query import suggest as suggest_in

    return suggest_in(name, known, what, when.then() if when else "")


def unknown(kind: str, name: str, known: Iterable[str], when: When | None = None,
            where: str = "") -> Exception:
    """The error for a match, competition or tie (``projections.query.unknown``)."""
    from matchledger.projections.query import unknown as unknown_in

    return unknown_in(kind, name, known, when.then() if when else "", where)


def match_views(state: State, match: str) -> tuple[Scoreboard, TieView | None]:
    """A match's scoreboard and, when it is a leg of a tie, the tie."""
    from matchledger.projections.query import match_views as views_of

    return views_of(state, match)


def query() -> ModuleType:
    """The query layer, its states frozen out of the cycle collector: a command asks once."""
    from matchledger.projections import query as Q

    Q.freeze_loaded_states()
    return Q


def print_when(when: When) -> None:
    said = when.describe()
    if said:
        console().print(f"[dim]{said}[/dim]")


# --- commands --------------------------------------------------------------------------------


@app.command(rich_help_panel=PANEL)
@options(Reading)
def score(
    match: MatchArg,
    *, opts: Reading,
) -> None:
    """Show a match: score line and status, goals, cards, the shoot-out kick by kick.

    Example: matchledger score uel24-qf4-leg2 --as-of 2024-04-18T21:30
    """
    from matchledger.cli import render
    from matchledger.projections import to_json

    when = opts.when
    with open_ledger(opts.db, read_only=True) as lg:
        found = query().match(lg, match_id(match), **when.filters())
    if opts.json:
        emit_json(to_json(found.board))
        return
    print_when(when)
    console().print(render.scoreboard_view(found.board, found.tie, render.Names(found.state)))


@app.command(rich_help_panel=PANEL)
@options(Reading)
def matches(
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="Only this competition's matches.")] = None,
    team: Annotated[str | None, typer.Option(
        "--team", "-t", metavar="TEAM", autocompletion=complete_team,
        help="Only this team's matches (id, name or alias).")] = None,
    round_name: Annotated[str | None, typer.Option(
        "--round", "-r", metavar="ROUND", help="Only this round: QF, SF, F, Matchday 3 …")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", "-s", metavar="STATUS",
        help="Only matches scheduled, live, finished or abandoned.")] = None,
    since: Annotated[dt.date | None, typer.Option(
        "--from", parser=parse_day, metavar="DATE",
        help="Only matches on or after DATE (local): 2024-04-11.")] = None,
    until: Annotated[dt.date | None, typer.Option(
        "--to", parser=parse_day, metavar="DATE",
        help="Only matches on or before DATE (local).")] = None,
    *, opts: Reading,
) -> None:
    """List fixtures and results: ids, teams, scores and local kick-off, in kick-off order.

    Example: matchledger matches --competition uel-2023-24 --round QF --status finished
    """
    import matchledger.projections as P
    from matchledger.cli import render
    from matchledger.projections.listing import STATUSES

    if status is not None and status.lower() not in STATUSES:
        raise CliError(f"--status {status!r}: use {', '.join(STATUSES)}")
    when = opts.when
    comp = None if competition is None else competition_id(competition)
    with open_ledger(opts.db, read_only=True) as lg:
        found = query().matches(lg, competition=comp, team=team, round=round_name,
                                status=status.lower() if status else None, since=since,
                                until=until, **when.filters())
    if opts.json:
        emit_json(P.to_json(found.view))
        return
    print_when(when)
    console().print(render.matches_table(found.view, render.Names(found.known)))


@app.command(rich_help_panel=PANEL)
@options(Reading)
def tie(
    tie_id: Annotated[str, typer.Argument(
        metavar="TIE", autocompletion=complete_tie, help="A tie id, e.g. QF4.")],
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="The competition, when the tie id is drawn in several.")] = None,
    *, opts: Reading,
) -> None:
    """Show a tie: its legs, the aggregate, who went through and how.

    Example: matchledger tie QF4 --as-of 2024-04-12
    """
    import matchledger.projections as P
    from matchledger.cli import render

    when = opts.when
    comp = competition_id(competition) if competition else None
    with open_ledger(opts.db, read_only=True) as lg:
        try:
            found = query().tie(lg, tie_id, comp, **when.filters())
        except P.AmbiguousTie as e:
            raise CliError(f"{e} with --competition") from e
    if opts.json:
        emit_json(P.to_json(found.view))
        return
    print_when(when)
    console().print(render.tie_view(found.view, render.Names(found.known)))


@app.command(rich_help_panel=PANEL)
@options(Reading)
def bracket(
    competition: CompetitionArg,
    *, opts: Reading,
) -> None:
    """Draw a competition's bracket as a tree: every tie, scores, aggregates, who went through.

    Example: matchledger bracket uel-2023-24 --as-of 2024-04-12
    """
    import matchledger.projections as P
    from matchledger.cli import render

    when = opts.when
    with open_ledger(opts.db, read_only=True) as lg:
        found = query().bracket(lg, competition_id(competition), **when.filters())
    view = found.view
    if opts.json:
        emit_json(P.to_json(view))
        return
    names = render.Names(found.known)
    out = console()
    out.print(render.bracket_tree(view, names, when.describe()))
    if view.open:
        out.print(f"[dim]still open: {', '.join(view.open)}[/dim]")


@app.command(rich_help_panel=PANEL)
@options(Reading)
def table(
    competition: CompetitionArg,
    group: Annotated[str | None, typer.Option(
        "--group", "-g", metavar="ROUND",
        help='Only the fixtures of this round and the teams that play them: "Group A".')
    ] = None,
    *, opts: Reading,
) -> None:
    """Show a competition's table: played, won, drawn, lost, goals, cards, points.

    Sorted by points, goal difference, then goals scored.

    Example: matchledger table uel-2023-24 --as-of 2024-04-19
    """
    import matchledger.projections as P
    from matchledger.cli import render

    when = opts.when
    comp = competition_id(competition)
    with open_ledger(opts.db, read_only=True) as lg:
        found = query().table(lg, comp, group, **when.filters())
    state, records = found.known, found.view
    if opts.json:
        emit_json(P.to_json(records))
        return
    print_when(when)
    name = state.competitions[comp]
    title = f"{name.name} {name.season}{f' · {group}' if group else ''} " \
            "(a shoot-out counts as a draw)"
    console().print(render.records_table(records, render.Names(state), title))


@app.command(rich_help_panel=PANEL)
@options(Reading)
def teams(
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="Only the teams registered in this competition.")] = None,
    *, opts: Reading,
) -> None:
    """List the teams: id, name, country, the other spellings they answer to, competitions.

    Example: matchledger teams --competition bundesliga-2023-24
    """
    from matchledger.cli import render
    from matchledger.projections import to_json

    when = opts.when
    comp = None if competition is None else competition_id(competition)
    with open_ledger(opts.db, read_only=True) as lg:
        found = query().teams(lg, comp, **when.filters())
    if opts.json:
        emit_json(to_json(found))
        return
    print_when(when)
    if not found:
        console().print(f"no teams in the ledger{when.then()}", style="dim")
        return
    console().print(render.teams_table(found))


@app.command(rich_help_panel=PANEL)
@options(Reading)
def streaks(
    team: Annotated[str | None, typer.Argument(
        metavar="TEAM", autocompletion=complete_team,
        help="A team (id, name or alias); every team when left out.")] = None,
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="Only the matches of this competition: a league season unbeaten.")] = None,
    *, opts: Reading,
) -> None:
    """Show a team's streaks, current and longest, across competitions in kick-off order.

    Unbeaten, winning, scoring, clean sheet, losing and winless runs; a match decided on
    penalties counts as a draw.

    Example: matchledger streaks Leverkusen --as-of 2024-04-19
    """
    import matchledger.projections as P
    from matchledger.cli import render

    when = opts.when
    comp = None if competition is None else competition_id(competition)
    if team is not None:
        with open_ledger(opts.db, read_only=True) as lg:
            one = query().team_streaks(lg, team, comp, **when.filters())
        assert one.state is not None
        names = render.Names(one.known)
        if opts.json:
            emit_json(P.to_json(one.view))
            return
        print_when(when)
        console().print(render.streaks_table(one.view, one.state, names, one.competition))
        return
    with open_ledger(opts.db, read_only=True) as lg:
        every = query().streaks(lg, comp, **when.filters())
    names = render.Names(every.known)
    views = sorted(every.view, key=lambda v: names(v.team))
    if opts.json:
        emit_json({v.team: P.to_json(v) for v in views})
        return
    print_when(when)
    if not views:
        console().print(f"no teams in {comp or 'the ledger'}{when.then()}", style="dim")
        return
    console().print(render.all_streaks_table(views, names, comp))


PLAYERS_SHOWN = 100  # the most players a table shows unless --top asks for more


@app.command(rich_help_panel=PANEL)
@options(Reading)
def players(
    team: Annotated[str | None, typer.Option(
        "--team", "-t", metavar="TEAM", autocompletion=complete_team,
        help="Only this team's players (id, name or alias).")] = None,
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="Only the goals and cards of this competition's matches.")] = None,
    top: Annotated[int | None, typer.Option(
        "--top", "-n", min=1, max=MAX_POSITION, metavar="N",
        help="Only the first N (top scorers first).")] = None,
    *, opts: Reading,
) -> None:
    """Show scorers and booked players: goals, penalties, own goals and cards.

    Shoot-out kicks are never goals. The table shows the first 100 unless --top asks for
    more; --json gives every one.

    Example: matchledger players --competition uel-2023-24 --top 5
    """
    import matchledger.projections as P
    from matchledger.cli import render

    when = opts.when
    with open_ledger(opts.db, read_only=True) as lg:
        found = query().players(lg, team, None if competition is None
                                else competition_id(competition), **when.filters())
    records, team_id, comp = found.view, found.team, found.competition
    if opts.json:
        emit_json(P.to_json(records[:top]))
        return
    print_when(when)
    names = render.Names(found.known)
    title = f"players{f' of {names(team_id)}' if team_id else ''}{f' in {comp}' if comp else ''}"
    if not records:
        console().print(f"no {title} have scored or been booked{when.then()}", style="dim")
        return
    console().print(render.players_table(records[:top or PLAYERS_SHOWN], names, title))
    if top is None and len(records) > PLAYERS_SHOWN:  # a table, not thousands of rows
        console(stderr=True).print(f"the first {PLAYERS_SHOWN} of {len(records):,} shown; "
                                   "--top N for more, --json for every one", style="dim")

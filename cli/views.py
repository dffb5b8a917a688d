"""The read commands: score, tie, bracket, table, teams, streaks, players — all askable
in the past.

Each folds the log (``projections.state_at``, from the nearest snapshot) with the time-travel
filters given, then prints the view as rich output, or its JSON contract with ``--json``
(``projections.to_json``: the CLI prints it, never re-derives it). Every team's players,
streaks and entries, asked of the present, come from the read models when they are caught up.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    DEFAULT_DB,
    AsOf,
    AtPosition,
    CliError,
    CompetitionArg,
    Db,
    Json,
    KnownAt,
    MatchArg,
    When,
    competition_id,
    complete_competition,
    complete_team,
    complete_tie,
    console,
    emit_json,
    match_id,
    open_ledger,
)

if TYPE_CHECKING:
    from ledger import Ledger, Registry
    from projections import Current, Scoreboard, State, TieView

PANEL = "Views (all take --as-of, --known-at, --at-position, --json)"

app = typer.Typer()


# --- shared ----------------------------------------------------------------------------------


def load_state(lg: Ledger, when: When, *, competition: str | None = None,
               team: str | None = None) -> State:
    """The state the read commands show (only a competition's or a team's part, when given:
    see ``projections.state_at``); frozen out of the cycle collector afterwards.

    The state of a long log is millions of acyclic objects that live until the command ends:
    without ``gc.freeze`` every view's allocations would set off full collections over them.
    """
    import gc

    from projections import state_at

    state = state_at(lg, **when.filters(), competition=competition, team=team)
    gc.freeze()
    return state


def state_for(db: Path, when: When, *, competition: str | None = None) -> State:
    """The state of the ledger at ``db`` as of ``when``, the file closed again."""
    with open_ledger(db) as lg:
        return load_state(lg, when, competition=competition)


def team_state_for(db: Path, when: When, team: str) -> tuple[str, State, Registry]:
    """A team's id (from any spelling the ledger knows today), its part of the state as of
    ``when``, and the registry that names every team."""
    with open_ledger(db) as lg:
        registry = lg.registry()
        team_id = registry.resolve_team(team)
        return team_id, load_state(lg, when, team=team_id), registry


def current_views(db: Path, when: When) -> Current | None:
    """The read models' answers for every team when the present is asked and they are caught
    up to the head of the log (``projections.current``), so that the log need not be folded;
    else None."""
    from projections import current

    if when.describe() is not None:
        return None
    with open_ledger(db) as lg:
        return current(lg)


def suggest(name: str, known: Iterable[str], what: str, when: When | None = None) -> str:
    """The tail of an error about ``name``: the close ones among ``known``, else a few
    (``known`` as of ``when``, when a moment in the past was asked for)."""
    known = sorted(set(known))
    folded = {k.casefold(): k for k in known}  # qf1 is close to QF1
    close = [folded[c] for c in difflib.get_close_matches(name.casefold(), folded, n=3,
                                                         cutoff=0.5)]
    if close:
        return "; did you mean " + ", ".join(repr(c) for c in close) + "?"
    if known:
        shown = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
        return f"; known {what}: {shown}"
    return f"; no {what} in the ledger{when.then() if when else ''}"


def unknown(kind: str, name: str, known: Iterable[str], when: When | None = None,
            where: str = "") -> CliError:
    """The error for a match, competition or tie (``kind``) that is not among ``known``
    (``where``: " in 'cup'"), with the close ones."""
    return CliError(f"unknown {kind} {name!r}{where}"
                    f"{suggest(name, known, 'matches' if kind == 'match' else kind + 's', when)}")


def same_id(typed: str, known: Iterable[str]) -> str:
    """The known id ``typed`` names, case folded (``qf1`` is ``QF1``) when only one is that;
    else ``typed`` as it is, for the error that follows to name."""
    known = set(known)
    if typed in known:
        return typed
    found = [k for k in known if k.casefold() == typed.casefold()]
    return found[0] if len(found) == 1 else typed


def match_views(state: State, match: str) -> tuple[Scoreboard, TieView | None]:
    """A match's scoreboard and, when it is a leg of a tie, the tie."""
    import projections as P

    try:
        board = P.scoreboard(state, match)
    except P.UnknownMatch as e:
        raise unknown("match", match, state.fixtures) from e
    view = None
    if board.tie is not None:
        view = P.tie(state, board.tie, board.competition)
    return board, view


def competition_state(db: Path, when: When, competition: str) -> tuple[str, State]:
    """A competition's id and its part of the state as of ``when`` (see ``state_for``); a
    one-line error naming the competitions known then when it is not one of them."""
    comp = competition_id(competition)
    state = state_for(db, when, competition=comp)
    if comp not in state.competitions:
        raise unknown_competition(db, when, comp)
    return comp, state


def existing_competition(db: Path, when: When, competition: str) -> str:
    """A competition's id, when the ledger had it as of ``when`` (for a team's part of the
    state, which holds none); else the error naming the close ones."""
    comp = competition_id(competition)
    with open_ledger(db) as lg:
        if lg.has_competition(comp, **when.filters()):
            return comp
    raise unknown_competition(db, when, comp)


def unknown_competition(db: Path, when: When, comp: str) -> CliError:
    """The error for a competition not in the ledger as of ``when``, with the close ones."""
    with open_ledger(db) as lg:
        known = lg.competition_ids(**when.filters())
    return unknown("competition", comp, known, when)


def print_when(when: When) -> None:
    said = when.describe()
    if said:
        console().print(f"[dim]{said}[/dim]")


# --- commands --------------------------------------------------------------------------------


@app.command(rich_help_panel=PANEL)
def score(
    match: MatchArg,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """Show a match: score line and status, goals, cards, the shoot-out kick by kick.

    Example: matchledger score uel24-qf4-leg2 --as-of 2024-04-18T21:30
    """
    from cli import render
    from projections import to_json

    when = When(as_of, known_at, at_position)
    with open_ledger(db) as lg:
        from cli.live import current_match

        state, board, view = current_match(lg, match_id(match), **when.filters())
    if json_output:
        emit_json(to_json(board))
        return
    print_when(when)
    console().print(render.scoreboard_view(board, view, render.Names(state)))


@app.command(rich_help_panel=PANEL)
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
        "--from", parser=dt.date.fromisoformat, metavar="DATE",
        help="Only matches on or after DATE (local): 2024-04-11.")] = None,
    until: Annotated[dt.date | None, typer.Option(
        "--to", parser=dt.date.fromisoformat, metavar="DATE",
        help="Only matches on or before DATE (local).")] = None,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """List fixtures and results: ids, teams, scores and local kick-off, in kick-off order.

    Example: matchledger matches --competition uel-2023-24 --round QF --status finished
    """
    import projections as P
    from cli import render
    from projections.listing import STATUSES

    if status is not None and status.lower() not in STATUSES:
        raise CliError(f"--status {status!r}: use {', '.join(STATUSES)}")
    when = When(as_of, known_at, at_position)
    team_id = None
    if team is not None:
        team_id, state, _ = team_state_for(db, when, team)
        comp = existing_competition(db, when, competition) if competition else None
    elif competition is not None:
        comp, state = competition_state(db, when, competition)
    else:
        comp, state = None, state_for(db, when)
    lines = P.matches(state, competition=comp, team=team_id, round=round_name,
                      status=status.lower() if status else None, since=since, until=until)
    if json_output:
        emit_json(P.to_json(lines))
        return
    print_when(when)
    console().print(render.matches_table(lines, render.Names(state)))


@app.command(rich_help_panel=PANEL)
def tie(
    tie_id: Annotated[str, typer.Argument(
        metavar="TIE", autocompletion=complete_tie, help="A tie id, e.g. QF4.")],
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="The competition, when the tie id is drawn in several.")] = None,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """Show a tie: its legs, the aggregate, who went through and how.

    Example: matchledger tie QF4 --as-of 2024-04-12
    """
    import projections as P
    from cli import render
    from projections.ties import ambiguous

    when = When(as_of, known_at, at_position)
    comp = competition_id(competition) if competition else None
    with open_ledger(db) as lg:
        tie_id = same_id(tie_id, lg.tie_ids(comp, **when.filters()))
        drawn = lg.competitions_drawing(tie_id, **when.filters())
        if comp is None and len(drawn) > 1:  # known from the log: no state to load
            raise CliError(f"{ambiguous(tie_id, drawn)} with --competition")
        scope = comp or (drawn[0] if drawn else None)
        if comp not in (None, *drawn) or not drawn:
            where = f" in {comp!r}" if comp else ""
            known = lg.tie_ids(comp, **when.filters())
            raise unknown("tie", tie_id, known, when, where)
        state = load_state(lg, when, competition=scope)
    view = P.tie(state, tie_id, scope)
    if json_output:
        emit_json(P.to_json(view))
        return
    print_when(when)
    console().print(render.tie_view(view, render.Names(state)))


@app.command(rich_help_panel=PANEL)
def bracket(
    competition: CompetitionArg,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """Draw a competition's bracket as a tree: every tie, scores, aggregates, who went through.

    Example: matchledger bracket uel-2023-24 --as-of 2024-04-12
    """
    import projections as P
    from cli import render

    when = When(as_of, known_at, at_position)
    comp = competition_id(competition)
    state = state_for(db, when, competition=comp)
    try:
        view = P.bracket(state, comp)
    except P.UnknownCompetition as e:
        raise unknown_competition(db, when, comp) from e
    if json_output:
        emit_json(P.to_json(view))
        return
    names = render.Names(state)
    out = console()
    out.print(render.bracket_tree(view, names, when.describe()))
    if view.open:
        out.print(f"[dim]still open: {', '.join(view.open)}[/dim]")


@app.command(rich_help_panel=PANEL)
def table(
    competition: CompetitionArg,
    group: Annotated[str | None, typer.Option(
        "--group", "-g", metavar="ROUND",
        help='Only the fixtures of this round and the teams that play them: "Group A".')
    ] = None,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """Show a competition's table: played, won, drawn, lost, goals, cards, points.

    Sorted by points, goal difference, then goals scored.

    Example: matchledger table uel-2023-24 --as-of 2024-04-19
    """
    import projections as P
    from cli import render

    when = When(as_of, known_at, at_position)
    comp, state = competition_state(db, when, competition)
    if group is not None:
        rounds = {fx.round for fx in state.fixtures.values()
                  if fx.competition == comp and fx.round}
        if group not in rounds:
            raise CliError(f"no round {group!r} in {comp}{suggest(group, rounds, 'rounds', when)}")
    records = P.table(state, comp, group)
    if json_output:
        emit_json(P.to_json(records))
        return
    print_when(when)
    name = state.competitions[comp]
    title = f"{name.name} {name.season}{f' · {group}' if group else ''} " \
            "(a shoot-out counts as a draw)"
    console().print(render.records_table(records, render.Names(state), title))


@app.command(rich_help_panel=PANEL)
def teams(
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="Only the teams registered in this competition.")] = None,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """List the teams: id, name, country, the other spellings they answer to, competitions.

    Example: matchledger teams --competition bundesliga-2023-24
    """
    from cli import render
    from projections import registered_teams

    when = When(as_of, known_at, at_position)
    if competition is None:
        if (now := current_views(db, when)) is not None:
            found = sorted(now.teams.values(), key=lambda t: t.id)
        else:
            with open_ledger(db) as lg:
                found = registered_teams(lg, **when.filters())
    else:
        comp, state = competition_state(db, when, competition)
        found = sorted((t for t in state.teams.values() if comp in t.competitions),
                       key=lambda t: t.id)
    if json_output:
        emit_json([{"team": t.id, "name": t.name, "country": t.country,
                    "aliases": list(t.aliases), "competitions": list(t.competitions)}
                   for t in found])
        return
    print_when(when)
    if not found:
        console().print(f"no teams in the ledger{when.then()}", style="dim")
        return
    console().print(render.teams_table(found))


@app.command(rich_help_panel=PANEL)
def streaks(
    team: Annotated[str | None, typer.Argument(
        metavar="TEAM", autocompletion=complete_team,
        help="A team (id, name or alias); every team when left out.")] = None,
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="Only the matches of this competition: a league season unbeaten.")] = None,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """Show a team's streaks, current and longest, across competitions in kick-off order.

    Unbeaten, winning, scoring, clean sheet, losing and winless runs; a match decided on
    penalties counts as a draw.

    Example: matchledger streaks Leverkusen --as-of 2024-04-19
    """
    import projections as P
    from cli import render

    when = When(as_of, known_at, at_position)
    if team is not None:
        comp = None if competition is None else existing_competition(db, when, competition)
        team_id, state, registry = team_state_for(db, when, team)
        view = P.streaks(state, team_id, comp)
        names = render.Names(registry)
        if json_output:
            emit_json(P.to_json(view))
            return
        print_when(when)
        console().print(render.streaks_table(view, state, names, comp))
        return
    known: State | Current
    if competition is not None:
        comp, state = competition_state(db, when, competition)
        known, found = state, [P.streaks(state, t, comp)
                               for t in P.competition_teams(state, comp)]
    elif (now := current_views(db, when)) is not None:
        comp, known, found = None, now, list(now.streaks.values())
    else:
        comp = None
        known = state = state_for(db, when)
        found = [P.streaks(state, t) for t in state.teams]
    names = render.Names(known)
    views = sorted(found, key=lambda v: names(v.team))
    if json_output:
        emit_json({v.team: P.to_json(v) for v in views})
        return
    print_when(when)
    if not views:
        console().print(f"no teams in {comp or 'the ledger'}{when.then()}", style="dim")
        return
    console().print(render.all_streaks_table(views, names, comp))


PLAYERS_SHOWN = 100  # the most players a table shows unless --top asks for more


@app.command(rich_help_panel=PANEL)
def players(
    team: Annotated[str | None, typer.Option(
        "--team", "-t", metavar="TEAM", autocompletion=complete_team,
        help="Only this team's players (id, name or alias).")] = None,
    competition: Annotated[str | None, typer.Option(
        "--competition", "-c", metavar="COMPETITION", autocompletion=complete_competition,
        help="Only the goals and cards of this competition's matches.")] = None,
    top: Annotated[int | None, typer.Option(
        "--top", "-n", min=1, metavar="N", help="Only the first N (top scorers first).")] = None,
    db: Db = DEFAULT_DB,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    at_position: AtPosition = None,
    json_output: Json = False,
) -> None:
    """Show scorers and booked players: goals, penalties, own goals and cards.

    Shoot-out kicks are never goals. The table shows the first 100 unless --top asks for
    more; --json gives every one.

    Example: matchledger players --competition uel-2023-24 --top 5
    """
    import projections as P
    from cli import render

    when = When(as_of, known_at, at_position)
    known: State | Registry | Current
    team_id = comp = None
    if team is not None:
        comp = None if competition is None else existing_competition(db, when, competition)
        team_id, state, known = team_state_for(db, when, team)
        records = P.players(state, team_id, comp)
    elif competition is not None:
        comp, state = competition_state(db, when, competition)
        known, records = state, P.players(state, competition=comp)
    elif (now := current_views(db, when)) is not None:
        known, records = now, now.players
    else:
        known = state = state_for(db, when)
        records = P.players(state)
    if json_output:
        emit_json(P.to_json(records[:top]))
        return
    print_when(when)
    names = render.Names(known)
    title = f"players{f' of {names(team_id)}' if team_id else ''}{f' in {comp}' if comp else ''}"
    if not records:
        console().print(f"no {title} have scored or been booked{when.then()}", style="dim")
        return
    console().print(render.players_table(records[:top or PLAYERS_SHOWN], names, title))
    if top is None and len(records) > PLAYERS_SHOWN:  # a table, not thousands of rows
        console(stderr=True).print(f"the first {PLAYERS_SHOWN} of {len(records):,} shown; "
                                   "--top N for more, --json for every one", style="dim")

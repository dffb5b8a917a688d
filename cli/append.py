"""``matchledger append …``: one typed subcommand per kind of event, for live use.

    $ matchledger append whistle uel24-sf1-leg1 kick-off
    $ matchledger append goal uel24-sf1-leg1 --team Marseille --player Mbemba --minute 11
    appended GoalScored at position 151 (match:uel24-sf1-leg1 v2): ⚽ marseille: Mbemba 11'
    Marseille 1-0 Atalanta  live 11'

Names go to the ledger as typed: it resolves team and player aliases on append and refuses,
with one line saying why, anything that cannot happen (a goal before kick-off, a kick when
the tie is not level). ``occurred_at`` is now unless ``--at`` back-fills it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import attrs
import typer

from matchledger.cli.common import (
    DEFAULT_DB,
    MAX_POSITION,
    CliError,
    Db,
    Minute,
    competition_id,
    complete_competition,
    complete_player,
    complete_team,
    console,
    emit_json,
    match_id,
    open_ledger,
    options,
    parse_kickoff,
    parse_minute,
    parse_moment,
    timing,
)
from matchledger.cli.live import current_match, match_fold
from matchledger.events import Card, CompetitionFormat, GoalKind, KickOutcome, Period, TieRules
from matchledger.events.clock import next_period
from matchledger.events.pitch import AMENDABLE, amended
from matchledger.events.rules import RuleViolation

if TYPE_CHECKING:
    from matchledger.events import Event
    from matchledger.ledger import Appended, Envelope, Ledger
    from matchledger.projections import State
    from matchledger.projections.query import Hot
    from matchledger.projections.scoreboard import Scoreboard
    from matchledger.projections.ties import TieView

app = typer.Typer(no_args_is_help=True)

MATCH_PANEL = "On the pitch"
COMPETITION_PANEL = "Competition (before the match)"
RAW_PANEL = "Anything"

# --- options every append takes ---------------------------------------------------------------

At = Annotated[dt.datetime | None, typer.Option(
    "--at", parser=parse_moment, metavar="TIME",
    help="When it happened, to back-fill (default: now): 2024-05-02T21:11+02:00; a time "
         "without an offset is UTC, a bare date its 00:00 UTC.")]
Expect = Annotated[int | None, typer.Option(
    "--expect", min=-1, max=MAX_POSITION, metavar="VERSION",
    help="Refuse unless the stream's last version is VERSION (optimistic concurrency; -1 for "
         "a new stream).")]
EventId = Annotated[str | None, typer.Option(
    "--event-id", metavar="ID",
    help="The event's id (default: a new UUID); sending the same id again appends nothing.")]
Source = Annotated[str | None, typer.Option(
    "--source", metavar="TEXT", help="Where the fact comes from (kept in the event's meta).")]
JsonOut = Annotated[bool, typer.Option(
    "--json", help="Print what was appended (and the score) as JSON.")]
Now = Annotated[bool, typer.Option(
    "--now", help="It happens now, though the match is not live now (without --at or "
                  "--now, such an event is refused: a forgotten --at while back-filling).")]

NewPlayer = Annotated[bool, typer.Option(
    "--new-player", help="Register each player named who is not on the team's roster in the "
                         "competition, with the event (where a team has registered players, "
                         "only they can be named for it).")]

MatchArg = Annotated[str, typer.Argument(metavar="MATCH", help="The match id.")]
TeamOpt = Annotated[str, typer.Option(
    "--team", autocompletion=complete_team, help="The team: id, name or alias.")]
MinuteOpt = Annotated[Minute | None, typer.Option(
    "--minute", parser=parse_minute, metavar="MINUTE",
    help="The match minute: 38, or 45+2 for added time.")]
CompetitionArg = Annotated[str, typer.Argument(
    metavar="COMPETITION", autocompletion=complete_competition,
    help="The competition id, e.g. uel-2023-24.")]


@attrs.frozen
class Options:
    """The options every append shares, declared once (``@options(Options)``)."""

    db: Db = DEFAULT_DB
    at: At = None
    expect: Expect = None
    event_id: EventId = None
    source: Source = None
    json: JsonOut = False
    now: Now = False  # insist that an event without --at happens now, live or not
    new_player: NewPlayer = False  # register the named players not on the roster


def append_events(opts: Options, stream: str, events: Sequence[Event],
                  match: str | None = None) -> None:
    """Append ``events`` to ``stream`` atomically, then say what was appended and the score."""
    with open_ledger(opts.db) as lg:
        append_to(lg, opts, stream, events, match)


def append_to(lg: Ledger, opts: Options, stream: str, events: Sequence[Event],
              match: str | None, hot: Hot | None = None) -> None:
    """``append_events`` on an open ledger; ``hot``: the match's competition's fold (see
    ``match_fold``), if the caller has loaded it already."""
    hot = hot or match_fold(lg, match)
    done = submit_events(lg, stream, events, match, at=opts.at, now=opts.now,
                         new_player=opts.new_player, event_id=opts.event_id,
                         source=opts.source, expect=opts.expect, hot=hot)
    report(lg, done.envelopes, done.new, json_output=opts.json, match=match, hot=hot)


def submit_events(lg: Ledger, stream: str, events: Sequence[Event], match: str | None, *,
                  at: dt.datetime | None, now: bool = False, new_player: bool = False,
                  event_id: str | None = None, source: str | None = None,
                  expect: int | None = None, asking: tuple[str, str] = ("--at TIME", "--now"),
                  hot: Hot | None = None) -> Appended:
    """Append ``events`` to ``stream`` atomically, as the command line and the web console
    both do. Without ``at`` they occur now, which for an event on the pitch of ``match`` is
    refused unless the match is live now (``query.not_live_now``) or ``now`` insists;
    ``new_player`` registers first, in the same transaction, each player they name who is
    not on his team's roster in the match's competition (``asking``: how the refusal names
    the time and the insisting, as options or as fields)."""
    from matchledger.events import EventRetracted
    from matchledger.ledger import Draft, StreamRun

    if event_id is not None and len(events) > 1:
        raise CliError("--event-id names one event, but this appends several")
    occurred = at or dt.datetime.now(dt.UTC)
    meta = {"source": source} if source else {}
    drafts = [Draft(event=e, occurred_at=occurred, meta=meta, event_id=event_id)
              if event_id else Draft(event=e, occurred_at=occurred, meta=meta)
              for e in events]
    on_pitch = not any(isinstance(e, EventRetracted) for e in events)
    if match is not None and at is None and not now and on_pitch:
        from matchledger.projections import query

        why = query.not_live_now(lg, match, occurred, hot=hot)
        if why is not None:
            raise CliError(f"match {match} is not live now: {why}; give {asking[0]} for when "
                           f"it happened (or {asking[1]} if it is happening now)")
    runs = [StreamRun(stream, drafts, expect)]
    competition = lg.competition_of(match) if new_player and match is not None else None
    if competition is not None:
        registry = lg.registry()
        newcomers = [r for e in events for r in registry.newcomers(competition, e)]
        runs.insert(0, StreamRun(f"competition:{competition}", [
            Draft(event=r, occurred_at=occurred, meta=meta) for r in newcomers]))
    return lg.submit_runs(runs)


def report(lg: Ledger, envelopes: Sequence[Envelope], new: bool, *, json_output: bool,
           match: str | None, hot: Hot | None = None) -> None:
    """Print each appended event (position, version), or that it was already stored (``new``
    false: a resend), and the match's new score line."""
    from rich.markup import escape

    from matchledger.cli import render

    board = view = state = None
    if match is not None:
        moment = max((e.occurred_at for e in envelopes), default=None)
        state, board, view = current_match(lg, match, moment, hot=hot)
        if view is not None and _left_undecided(state, board, view):
            console(stderr=True).print(
                f"warning: tie {view.tie} is level after its last leg and no shoot-out is "
                "reported: it has no winner until one is")
    if json_output:
        emit_json(appended_json(envelopes, new, board))
        return
    out = console()
    for env in envelopes:
        verb = "appended" if new else "already in the ledger:"
        out.print(f"{verb} [cyan]{env.type}[/cyan] at position [bold]{env.position}[/bold] "
                  f"({env.stream} v{env.version}): {escape(render.describe(env.event))}")
    if board is not None and state is not None:
        out.print(render.headline(board, view, render.Names(state)))


def appended_json(envelopes: Sequence[Envelope], new: bool,
                  board: Scoreboard | None) -> dict[str, Any]:
    """What an append answers with (``append --json``, and the web API): each event as stored,
    ``new`` false for one whose id was in the ledger already, and the match's score after."""
    from matchledger.projections import to_json

    return {
        "appended": [{"position": e.position, "stream": e.stream, "version": e.version,
                      "event_id": e.event_id, "type": e.type, "new": new}
                     for e in envelopes],
        "score": to_json(board) if board is not None else None,
    }


def _left_undecided(state: State, board: Scoreboard, view: TieView) -> bool:
    """Whether this finished match is the last leg of its tie and left the tie without a
    winner: a result reported as a source gives it may, the final whistle may not."""
    tie = state.ties.get((view.competition, view.tie))
    return (board.status == "finished" and view.winner is None and tie is not None
            and (board.leg or 1) >= tie.legs
            and all(leg.status == "finished" for leg in view.legs))


# --- on the pitch ------------------------------------------------------------------------------


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options)
def goal(
    match: MatchArg,
    team: TeamOpt,
    player: Annotated[str | None, typer.Option(
        "--player", autocompletion=complete_player,
        help="The scorer (aliases resolve: Scamaca is Gianluca Scamacca).")] = None,
    minute: MinuteOpt = None,
    penalty: Annotated[bool, typer.Option("--penalty", help="Scored from the spot.")] = False,
    own_goal: Annotated[bool, typer.Option(
        "--own-goal", help="An own goal: --team is the scorer's team; it counts for the "
                           "other side.")] = False,
    *, opts: Options,
) -> None:
    """Append a goal (GoalScored).

    Example: matchledger append goal uel24-qf2-leg1 --team Atalanta --player Scamaca --minute 38
    """
    from matchledger.events import GoalKind, GoalScored

    if penalty and own_goal:
        raise CliError("a goal is a penalty or an own goal, not both")
    kind = GoalKind.PENALTY if penalty else GoalKind.OWN_GOAL if own_goal else GoalKind.OPEN_PLAY
    mid = match_id(match)
    event = GoalScored(team=team, player=player, kind=kind, **timing(minute))
    append_events(opts, f"match:{mid}", [event], mid)


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options)
def card(
    match: MatchArg,
    team: TeamOpt,
    player: Annotated[str, typer.Option("--player", autocompletion=complete_player,
                                        help="Who was booked.")],
    colour: Annotated[Card, typer.Option(
        "--card", help="yellow, second_yellow (a sending-off) or red.")] = Card.YELLOW,
    minute: MinuteOpt = None,
    *, opts: Options,
) -> None:
    """Append a card (CardShown); a second yellow is recorded once, as second_yellow.

    Example: matchledger append card uel24-qf1-leg2 --team roma --player Celik --minute 31
    """
    from matchledger.events import CardShown

    mid = match_id(match)
    event = CardShown(team=team, player=player, card=colour, **timing(minute))
    append_events(opts, f"match:{mid}", [event], mid)


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options)
def sub(
    match: MatchArg,
    team: TeamOpt,
    off: Annotated[str, typer.Option("--off", autocompletion=complete_player,
                                     help="The player who goes off.")],
    on: Annotated[str, typer.Option("--on", autocompletion=complete_player,
                                    help="The player who comes on.")],
    minute: MinuteOpt = None,
    *, opts: Options,
) -> None:
    """Append a substitution (SubstitutionMade); who went off takes no further part.

    Example: matchledger append sub uel24-qf1-leg2 --team roma --off Dybala --on Azmoun --minute 63
    """
    from matchledger.events import SubstitutionMade

    mid = match_id(match)
    event = SubstitutionMade(team=team, player_off=off, player_on=on, **timing(minute))
    append_events(opts, f"match:{mid}", [event], mid)


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options)
def kick(
    match: MatchArg,
    outcome: Annotated[KickOutcome, typer.Argument(
        metavar="OUTCOME", help="scored, missed or saved.")],
    team: TeamOpt,
    taker: Annotated[str | None, typer.Option("--taker", help="Who took the kick.")] = None,
    *, opts: Options,
) -> None:
    """Append a penalty shoot-out kick (ShootoutKick); kicks are never goals.

    Example: matchledger append kick uel24-qf4-leg2 missed --team benfica --taker "Di Maria"
    """
    from matchledger.events import ShootoutKick

    mid = match_id(match)
    event = ShootoutKick(team=team, outcome=outcome, taker=taker)
    append_events(opts, f"match:{mid}", [event], mid)


class Whistle(enum.StrEnum):
    KICK_OFF = "kick-off"
    START = "start"
    HALF_TIME = "half-time"
    END = "end"
    FULL_TIME = "full-time"


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options, leave_out=('event_id', 'new_player'))
def whistle(
    match: MatchArg,
    what: Annotated[Whistle, typer.Argument(
        metavar="WHAT",
        help="kick-off (MatchStarted, then 1H starts), start, half-time, end, or full-time "
             "(ends the period under way, then MatchEnded).")],
    period: Annotated[Period | None, typer.Argument(
        metavar="PERIOD",
        help="For start/end: 1H, 2H, ET1, ET2 or PSO (default: the next one, or the one "
             "under way).")] = None,
    *, opts: Options,
) -> None:
    """Blow the whistle: kick-off, a period's start or end, half-time, full time.

    Example: matchledger append whistle uel24-qf4-leg2 start ET1
    """
    check_whistle(what, period)
    mid = match_id(match)
    with open_ledger(opts.db) as lg:
        hot = match_fold(lg, mid)
        append_to(lg, opts, f"match:{mid}", whistle_events(lg, mid, what, period, hot), mid,
                  hot)


def check_whistle(what: Whistle, period: Period | None) -> None:
    """Only a period's start or end names a period."""
    if period is not None and what not in (Whistle.START, Whistle.END):
        raise CliError(f"{what.value} takes no period")


def whistle_events(lg: Ledger, mid: str, what: Whistle, period: Period | None,
                   hot: Hot | None = None) -> list[Event]:
    """The events a whistle stands for in the match as it stands (the next period to start,
    the one under way to end); the command line and the web console both blow it here."""
    from matchledger.events import MatchEnded, MatchStarted, PeriodEnded, PeriodStarted

    check_whistle(what, period)
    state: State = current_match(lg, mid, hot=hot)[0]
    ms = state.matches.get(mid)
    under_way = ms.period if ms is not None else None
    ended = len(ms.periods_ended) if ms is not None else 0
    events: list[Event]
    if what is Whistle.KICK_OFF:
        events = [MatchStarted(), PeriodStarted(period=Period.FIRST_HALF)]
    elif what is Whistle.START:
        start = period or next_period(ended, _rules_of(state, mid))
        if start is None:
            raise CliError(f"the shoot-out of {mid} is over: no period starts after it")
        events = [PeriodStarted(period=start)]
    elif what is Whistle.HALF_TIME:
        events = [PeriodEnded(period=Period.FIRST_HALF)]
    elif what is Whistle.END:
        end = period or under_way
        if end is None:
            raise CliError(f"no period is under way in {mid}: nothing to end")
        events = [PeriodEnded(period=end)]
    else:
        events = [PeriodEnded(period=under_way)] if under_way is not None else []
        events.append(MatchEnded())
    return events


def _rules_of(state: State, match: str) -> TieRules:
    """The rules of the competition that scheduled ``match`` (the defaults if unknown)."""
    fixture = state.fixtures.get(match)
    comp = state.competitions.get(fixture.competition) if fixture is not None else None
    return comp.rules if comp is not None else TieRules()


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options, leave_out=('new_player',))
def disallow(
    match: MatchArg,
    goal_ref: Annotated[str, typer.Argument(
        metavar="GOAL", help="The goal's event id, a unique prefix of it (as log shows), or "
                             "'last' for the latest goal that stands.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why: VAR, offside, …")] = None,
    *, opts: Options,
) -> None:
    """Rule out a goal (GoalDisallowed): a fact of the game, not a data fix.

    Example: matchledger append disallow uel24-qf2-leg1 last --reason "VAR: offside"
    """
    from matchledger.events import GoalDisallowed, GoalScored
    from matchledger.projections import query

    mid = match_id(match)
    with open_ledger(opts.db) as lg:
        goal_id = query.find_event(lg, mid, goal_ref, lambda e: isinstance(e, GoalScored),
                                   "goal", ruled_out=False)
    append_events(opts, f"match:{mid}",
                  [GoalDisallowed(goal=goal_id, reason=reason)], mid)


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options, leave_out=('now', 'new_player'))
def retract(
    match: MatchArg,
    event_ref: Annotated[str, typer.Argument(
        metavar="EVENT", help="The event id, a unique prefix of it, or 'last' for the latest "
                              "event still standing.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it was a mistake.")],
    *, opts: Options,
) -> None:
    """Retract a data-entry mistake (EventRetracted): the event is then as if never appended.

    Example: matchledger append retract uel24-sf1-leg1 last --reason "wrong scorer"
    """
    from matchledger.events import EventRetracted
    from matchledger.projections import query

    mid = match_id(match)
    with open_ledger(opts.db) as lg:
        target = query.find_event(lg, mid, event_ref, lambda e: True, "event")
    append_events(opts, f"match:{mid}",
                  [EventRetracted(event=target, reason=reason)], mid)


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options, leave_out=('event_id', 'now', 'new_player'))
def amend(
    match: MatchArg,
    event_ref: Annotated[str, typer.Argument(
        metavar="EVENT", help="The goal's, card's or kick's event id, a unique prefix of it, "
                              "or 'last' for the latest of them still standing.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it was wrong.")],
    team: Annotated[str | None, typer.Option(
        "--team", autocompletion=complete_team, help="The right team.")] = None,
    player: Annotated[str | None, typer.Option(
        "--player", autocompletion=complete_player,
        help="The right scorer or booked player.")] = None,
    minute: MinuteOpt = None,
    kind: Annotated[GoalKind | None, typer.Option(
        "--kind", help="A goal's kind: open_play, penalty or own_goal.")] = None,
    colour: Annotated[Card | None, typer.Option(
        "--card", help="A card's colour: yellow, second_yellow or red.")] = None,
    taker: Annotated[str | None, typer.Option("--taker", autocompletion=complete_player,
                                              help="A kick's taker.")] = None,
    outcome: Annotated[KickOutcome | None, typer.Option(
        "--outcome", help="A kick's outcome: scored, missed or saved.")] = None,
    *, opts: Options,
) -> None:
    """Correct a goal, card or shoot-out kick in one step: its retraction and its replacement.

    The replacement takes the event's place; the match is judged as it happened on the pitch.

    Example: matchledger append amend uel24-qf3-leg1 last --player Boniface --reason "report"
    """
    changes: dict[str, Any] = {
        name: value for name, value in (
            ("team", team), ("player", player), ("kind", kind), ("card", colour),
            ("taker", taker), ("outcome", outcome)) if value is not None}
    if minute is not None:
        changes.update(timing(minute))
    if not changes:
        raise CliError("say what to change: --team, --player, --minute, --kind, --card, "
                       "--taker or --outcome")
    mid = match_id(match)
    with open_ledger(opts.db) as lg:
        done = amend_event(lg, mid, event_ref, changes, reason=reason, at=opts.at,
                           source=opts.source, expect=opts.expect)
        report(lg, done.envelopes, done.new, json_output=opts.json, match=mid)


def amendable(event: Event) -> bool:
    """Whether an amendment can correct ``event``: a goal, a card or a shoot-out kick."""
    return type(event) in AMENDABLE


def amend_event(lg: Ledger, mid: str, ref: str, changes: dict[str, Any], *, reason: str,
                at: dt.datetime | None, source: str | None, expect: int | None) -> Appended:
    """Amend the goal, card or kick ``ref`` names (an id, a prefix, or "last"); the command
    line and the web console both amend here. The same amendment sent again (the same
    reason, and the same changes to the same original, named by its id or as "last") is
    answered with the one stored, ``new`` false, and writes nothing."""
    from matchledger.ledger import Appended
    from matchledger.projections import query

    target = query.find_event(lg, mid, ref, amendable, "goal, card or kick")
    stream = f"match:{mid}"
    stored = _amended_before(lg, stream, target, changes, reason)
    if stored is not None:
        return Appended(stored, new=False)
    meta = {"source": source} if source else {}
    return Appended(lg.amend(stream, target, changes, reason=reason, occurred_at=at,
                             meta=meta, expected_version=expect), new=True)


def _amended_before(lg: Ledger, stream: str, target: str, changes: dict[str, Any],
                    reason: str) -> list[Envelope] | None:
    """The retraction and replacement of an amendment already stored that ``changes`` to
    ``target`` (the original, or its standing replacement) would repeat, if there is one."""
    from matchledger.events import EventRetracted
    from matchledger.ledger import LedgerError

    envelopes = {e.event_id: e for e in lg.read(stream=stream)}
    retracted = {e.event.event for e in envelopes.values() if isinstance(e.event, EventRetracted)}
    for env in envelopes.values():
        undo = env.event
        if not isinstance(undo, EventRetracted) or undo.replacement is None:
            continue
        original, replacement = envelopes.get(undo.event), envelopes.get(undo.replacement)
        if (original is None or replacement is None or undo.reason != reason
                or target not in (original.event_id, replacement.event_id)
                or replacement.event_id in retracted):
            continue
        try:
            if lg.resolved(amended(original.event, changes)) == replacement.event:
                return [env, replacement]
        except (RuleViolation, LedgerError):
            continue
    return None


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options, leave_out=('new_player',))
def abandon(
    match: MatchArg,
    minute: MinuteOpt = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    *, opts: Options,
) -> None:
    """Abandon a match (MatchAbandoned).

    Example: matchledger append abandon some-match --minute 67 --reason fog
    """
    from matchledger.events import MatchAbandoned

    mid = match_id(match)
    event = MatchAbandoned(reason=reason, minute=minute.minute if minute else None)
    append_events(opts, f"match:{mid}",
                  [event], mid)


def parse_score(text: str) -> tuple[int, int]:
    """A score as typed, home first: ``2-1`` -> (2, 1)."""
    import re

    found = re.fullmatch(r"\s*(\d{1,2})\s*[-:]\s*(\d{1,2})\s*", text)
    if not found:
        raise ValueError(f"{text!r} is not a score: use 2-1 (home first)")
    return int(found.group(1)), int(found.group(2))


@app.command(rich_help_panel=MATCH_PANEL)
@options(Options, leave_out=('new_player',))
def result(
    match: MatchArg,
    full_time: Annotated[str, typer.Argument(
        metavar="SCORE", help="The score after 90 minutes, home first: 2-1.")],
    half_time: Annotated[str | None, typer.Option(
        "--half-time", metavar="H-A", help="The half-time score.")] = None,
    extra_time: Annotated[str | None, typer.Option(
        "--extra-time", metavar="H-A", help="The score after extra time (cumulative).")] = None,
    penalties: Annotated[str | None, typer.Option(
        "--penalties", metavar="H-A", help="The shoot-out score.")] = None,
    *, opts: Options,
) -> None:
    """Record a result as a source reports it (ResultReported), without the goals' details.

    It must agree with any goals already recorded.

    Example: matchledger append result some-match 2-1 --half-time 1-0 --source "BBC Sport"
    """
    from matchledger.events import ResultReported

    def score(text: str | None, option: str) -> tuple[int, int] | None:
        if text is None:
            return None
        try:
            return parse_score(text)
        except ValueError as e:
            raise CliError(f"{option}: {e}") from e

    mid = match_id(match)
    ft = score(full_time, "SCORE")
    assert ft is not None
    event = ResultReported(full_time=ft, half_time=score(half_time, "--half-time"),
                           extra_time=score(extra_time, "--extra-time"),
                           penalties=score(penalties, "--penalties"), source=opts.source)
    append_events(opts, f"match:{mid}",
                  [event], mid)


# --- competition facts -----------------------------------------------------------------------


@app.command(rich_help_panel=COMPETITION_PANEL)
@options(Options, leave_out=('expect', 'now', 'new_player'))
def competition(
    competition_ref: Annotated[str, typer.Argument(
        metavar="COMPETITION", help="A new competition id: lower-case, digits, dashes.")],
    name: Annotated[str, typer.Option("--name", help="Its name, e.g. UEFA Europa League.")],
    season: Annotated[str, typer.Option("--season", help="e.g. 2023/24.")],
    fmt: Annotated[CompetitionFormat, typer.Option(
        "--format", help="knockout, league or mixed.")] = CompetitionFormat.KNOCKOUT,
    extra_time: Annotated[bool, typer.Option(
        "--extra-time/--no-extra-time", help="Level ties go to extra time.")] = True,
    away_goals: Annotated[bool, typer.Option(
        "--away-goals/--no-away-goals", help="Away goals decide level ties (UEFA before "
                                             "2021/22).")] = False,
    away_goals_in_extra_time: Annotated[bool, typer.Option(
        "--away-goals-in-extra-time/--no-away-goals-in-extra-time",
        help="With --away-goals: away goals of extra time count too.")] = False,
    penalties: Annotated[bool, typer.Option(
        "--penalties/--no-penalties", help="Ties still level go to a shoot-out.")] = True,
    points_for_win: Annotated[int, typer.Option(
        "--points-for-win", min=1, metavar="N",
        help="Points for a win in tables (2 in older seasons).")] = 3,
    *, opts: Options,
) -> None:
    """Create a competition (CompetitionCreated) with its rules for level ties.

    Example: matchledger append competition cup-2025 --name "The Cup" --season 2025
    """
    from matchledger.events import CompetitionCreated

    comp = competition_id(competition_ref)
    if away_goals_in_extra_time and not away_goals:
        raise CliError("--away-goals-in-extra-time needs --away-goals")
    rules = TieRules(extra_time=extra_time, away_goals=away_goals,
                     away_goals_in_extra_time=away_goals_in_extra_time, penalties=penalties,
                     points_for_win=points_for_win)
    event = CompetitionCreated(competition=comp, name=name, season=season, format=fmt,
                               rules=rules)
    append_events(opts, f"competition:{comp}",
                  [event])


Aliases = Annotated[list[str] | None, typer.Option(
    "--alias", help="Another spelling sources use (repeatable).")]


@app.command(rich_help_panel=COMPETITION_PANEL)
@options(Options, leave_out=('now', 'new_player'))
def team(
    competition_ref: CompetitionArg,
    team_ref: Annotated[str, typer.Argument(
        metavar="TEAM", help="The team's id: lower-case, digits, dashes (e.g. west-ham).")],
    name: Annotated[str, typer.Option("--name", help="Its display name.")],
    country: Annotated[str | None, typer.Option("--country", help="e.g. ENG.")] = None,
    alias: Aliases = None,
    *, opts: Options,
) -> None:
    """Register a team in a competition (TeamRegistered); again to add aliases, or to rename
    it (its old name stays an alias).

    Example: matchledger append team uel-2023-24 west-ham --name "West Ham United" --alias Hammers
    """
    from matchledger.events import TeamRegistered

    comp = competition_id(competition_ref)
    event = TeamRegistered(team=team_ref, name=name, country=country, aliases=tuple(alias or ()))
    append_events(opts, f"competition:{comp}",
                  [event])


@app.command(rich_help_panel=COMPETITION_PANEL)
@options(Options, leave_out=('now', 'new_player'))
def player(
    competition_ref: CompetitionArg,
    team_ref: TeamOpt,
    names: Annotated[list[str] | None, typer.Argument(
        metavar="[NAME]...", show_default=False,
        help="The players' names as the ledger keeps them.")] = None,
    name: Annotated[list[str] | None, typer.Option(
        "--name", show_default=False, help="A player's name (repeatable), as NAME.")] = None,
    file: Annotated[str | None, typer.Option(
        "--file", metavar="FILE", help="Names one a line (- for stdin); 'Name | alias | …' "
                                       "gives a player's other spellings; # starts a comment.")
    ] = None,
    alias: Aliases = None,
    *, opts: Options,
) -> None:
    """Register a team's players in a competition, and the spellings sources use
    (PlayerRegistered): once a team has registered players there, only they can be named for it.

    Example: matchledger append player uel-2023-24 --team atalanta "Ademola Lookman" "Ederson"
    """
    from matchledger.events import PlayerRegistered

    comp = competition_id(competition_ref)
    players: list[tuple[str, tuple[str, ...]]] = [
        (n, ()) for n in (*(names or ()), *(name or ()))]
    if file is not None:
        players += roster_lines(_lines_of(file), file)
    if not players:
        raise CliError("name the players: NAME..., --name or --file")
    if alias:
        if len(players) != 1:
            raise CliError("--alias goes with one player; give several in a --file, as "
                           "'Name | alias'")
        players = [(players[0][0], tuple(alias))]
    events = [PlayerRegistered(team=team_ref, name=n, aliases=tuple(a)) for n, a in players]
    append_events(opts, f"competition:{comp}", events)


def roster_lines(lines: Iterable[str], where: str) -> list[tuple[str, tuple[str, ...]]]:
    """(name, aliases) of each player a roster file lists: one a line, ``Name | alias | …``,
    blank lines and ``#`` comments left out.

    >>> roster_lines(["# Atalanta", "Ademola Lookman | Lookman", "", "Ederson"], "f")
    [('Ademola Lookman', ('Lookman',)), ('Ederson', ())]
    """
    players: list[tuple[str, tuple[str, ...]]] = []
    for number, line in enumerate(lines, 1):
        text = line.partition("#")[0].strip()
        if not text:
            continue
        first, *others = (part.strip() for part in text.split("|"))
        if not first or not all(others):
            raise CliError(f"{where}:{number}: an empty name in {line.strip()!r}")
        players.append((first, tuple(others)))
    return players


def _lines_of(file: str) -> list[str]:
    """The lines of ``file`` (``-``: standard input), as text."""
    from matchledger.cli.sources import stdin

    if file == "-":
        return list(stdin.lines())
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"--file {file}: {e}") from e


def parse_side(text: str) -> Any:
    """A tie's side: a team, or "winner:QF4" / "winner of QF4" for an earlier tie's winner."""
    from matchledger.events import Side

    lowered = text.strip().lower()
    for prefix in ("winner:", "winner of ", "winner-of-"):
        if lowered.startswith(prefix):
            return Side(winner_of=text.strip()[len(prefix):].strip())
    return Side(team=text.strip())


@app.command("tie", rich_help_panel=COMPETITION_PANEL)
@options(Options, leave_out=('now', 'new_player'))
def tie_drawn(
    competition_ref: CompetitionArg,
    tie_ref: Annotated[str, typer.Argument(metavar="TIE", help="The tie id, e.g. SF1.")],
    first: Annotated[str, typer.Argument(
        metavar="FIRST", help="The side at home first: a team, or winner:QF4.")],
    second: Annotated[str, typer.Argument(metavar="SECOND", help="The other side.")],
    round_name: Annotated[str, typer.Option("--round", help="The round, e.g. SF.")],
    legs: Annotated[int, typer.Option("--legs", min=1, max=2, help="1 or 2.")] = 2,
    *, opts: Options,
) -> None:
    """Draw a tie (TieDrawn): two teams, or the winners of earlier ties.

    Example: matchledger append tie uel-2023-24 SF1 winner:QF4 winner:QF2 --round SF
    """
    from matchledger.events import TieDrawn

    comp = competition_id(competition_ref)
    event = TieDrawn(round=round_name, tie=tie_ref, legs=legs,
                     sides=(parse_side(first), parse_side(second)))
    append_events(opts, f"competition:{comp}",
                  [event])


@app.command(rich_help_panel=COMPETITION_PANEL)
@options(Options, leave_out=('now', 'new_player'))
def fixture(
    competition_ref: CompetitionArg,
    match: MatchArg,
    kickoff: Annotated[dt.datetime | None, typer.Option(
        "--kickoff", parser=parse_kickoff, metavar="TIME",
        help="Local kick-off with its offset: 2024-05-02T21:00+02:00.")] = None,
    date: Annotated[str | None, typer.Option(
        "--date", metavar="DATE", help="The date when the kick-off time is not known.")] = None,
    home: Annotated[str | None, typer.Option("--home", help="The home team.")] = None,
    away: Annotated[str | None, typer.Option("--away", help="The away team.")] = None,
    tie_ref: Annotated[str | None, typer.Option("--tie", help="The tie it belongs to.")] = None,
    leg: Annotated[int | None, typer.Option("--leg", min=1, max=2, help="1 or 2.")] = None,
    round_name: Annotated[str | None, typer.Option("--round", help="e.g. SF.")] = None,
    venue: Annotated[str | None, typer.Option("--venue", help="Where.")] = None,
    neutral: Annotated[bool | None, typer.Option(
        "--neutral/--not-neutral", show_default=False,
        help="At neither side's ground (a one-match final): streaks say 'v X (neutral)', "
             "not 'at X'.")] = None,
    *, opts: Options,
) -> None:
    """Schedule a match (FixtureScheduled); again to update it, keeping what is not given.

    After a draw, --home and --away alone give a scheduled match its teams; --kickoff or
    --date gives it a new time (--date alone: the time is not known).

    Example: matchledger append fixture cup cup-final --home roma --away porto --date 2025-05-21
    """
    from matchledger.events import FixtureScheduled

    comp, ident = competition_id(competition_ref), match_id(match)
    fields: dict[str, Any] = {name: value for name, value in (
        ("home", home), ("away", away), ("tie", tie_ref), ("leg", leg), ("round", round_name),
        ("venue", venue), ("neutral", neutral)) if value is not None}
    if kickoff is not None or date is not None:
        try:
            day = (dt.date.fromisoformat(date) if date is not None
                   else kickoff.date())  # type: ignore[union-attr]
        except ValueError as e:
            raise CliError(f"--date: {e}") from e
        fields |= {"date": day, "kickoff": kickoff}  # a new day or time replaces both
    with open_ledger(opts.db) as lg:
        scheduled = lg.fixture(ident)
    if scheduled is None and "date" not in fields:
        raise CliError("give --kickoff (with its offset) or --date")
    event = (FixtureScheduled(match=ident, **fields) if scheduled is None
             else attrs.evolve(scheduled, **fields))
    append_events(opts,
                  f"competition:{comp}", [event])


# --- raw JSON --------------------------------------------------------------------------------


@app.command("json", rich_help_panel=RAW_PANEL)
@options(Options, leave_out=('now', 'new_player'))
def raw_json(
    event: Annotated[str | None, typer.Argument(
        metavar="EVENT", help='One JSON object {"stream", "type", "data"} (occurred_at '
                              'optional); - or nothing to read it from stdin.')] = None,
    *, opts: Options,
) -> None:
    """Append one event written as JSON, of any type (the import format, one line).

    Example: matchledger append json '{"stream": "match:m1", "type": "MatchStarted", "data": {}}'
    """
    from matchledger.cli.sources import stdin
    from matchledger.ledger import load_json, parse_draft

    obj = load_json(stdin.read() if event in (None, "-") else event)
    if isinstance(obj, dict):
        if obj.get("occurred_at") is None:
            moment = opts.at or dt.datetime.now(dt.UTC)
            obj["occurred_at"] = moment.isoformat()
        if opts.event_id is not None:
            obj["event_id"] = opts.event_id
        meta = obj.get("meta") or {}
        if opts.source is not None and isinstance(meta, dict):  # else the ledger says why
            obj["meta"] = {**meta, "source": opts.source}
    stream, draft = parse_draft(obj)
    with open_ledger(opts.db) as lg:
        done = lg.submit(stream, [draft], expected_version=opts.expect)
        match = stream.removeprefix("match:") if stream.startswith("match:") else None
        report(lg, done.envelopes, done.new, json_output=opts.json, match=match)

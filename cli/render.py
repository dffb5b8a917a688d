"""How views look in a terminal: score lines, scoreboards, a bracket drawn as a tree, tables.

Pure functions from projection views (``projections``) to rich renderables or plain text;
nothing here reads the ledger.

    >>> import os, tempfile
    >>> from importlib import resources
    >>> from matchledger.ledger import Ledger, import_file
    >>> from matchledger.projections import scoreboard, state_at, tie
    >>> with Ledger(os.path.join(tempfile.mkdtemp(), "doc.db")) as ledger:
    ...     _ = import_file(ledger, str(resources.files("matchledger.events") / "seed.jsonl"))
    ...     state = state_at(ledger)
    >>> board, tie_view = scoreboard(state, "uel24-qf4-leg2"), tie(state, "QF4")
    >>> score_line(board, tie_view, Names(state))
    'Marseille 1-0 Benfica (a.e.t., 4-2 pens; agg 2-2)'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from matchledger.events import (
    CardShown,
    CompetitionCreated,
    Event,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    PeriodEnded,
    PeriodStarted,
    PlayerRegistered,
    ResultReported,
    ShootoutKick,
    Side,
    SubstitutionMade,
    TeamRegistered,
    TieDrawn,
)
from matchledger.events.match import Booking, Substitution
from matchledger.events.team import Team
from matchledger.ledger import Envelope, Registry, normalise
from matchledger.projections import (
    KINDS,
    Bracket,
    Current,
    PlayerRecord,
    Scoreboard,
    SideView,
    State,
    Streak,
    Streaks,
    TeamRecord,
    TieView,
)
from matchledger.projections.listing import MatchLine
from matchledger.projections.scoreboard import GoalLine

Score = tuple[int, int]

# --- names -----------------------------------------------------------------------------------


def short_name(name: str, aliases: Iterable[str]) -> str:
    """The shortest alias that is a run of whole words of the name, else the name.

    "Olympique de Marseille" -> "Marseille", "AS Roma" -> "Roma", "Bayer 04 Leverkusen" ->
    "Leverkusen" (never the typo "Leverkuse"), "Atalanta" stays (its alias "Atlanta" is a typo).
    """
    words = normalise(name).split()
    best = name
    for alias in aliases:
        alias_words = normalise(alias).split()
        n = len(alias_words)
        if not n or len(alias) >= len(best):
            continue
        if any(words[i:i + n] == alias_words for i in range(len(words) - n + 1)):
            best = alias
    return best


class Names:
    """Display names of teams (short forms), falling back to the id for unknown teams; of a
    state's teams, a registry's (every team the ledger knows) or the read models'."""

    def __init__(self, known: State | Registry | Current) -> None:
        self._names = {t.id: short_name(t.name, t.aliases) for t in known.teams.values()}

    def __call__(self, team: str | None) -> str:
        if team is None:
            return "?"
        return self._names.get(team, team)

    def side(self, side: SideView) -> str:
        """A side of a tie: a team, "Benfica or Marseille", or "winner of QF4"."""
        if side.team is not None:
            return self(side.team)
        if 0 < len(side.candidates) <= 2:
            return " or ".join(self(t) for t in side.candidates)
        return f"winner of {side.winner_of}"


def pair(score: Score | None, sep: str = "-") -> str:
    return f"{score[0]}{sep}{score[1]}" if score is not None else "–"


def day(moment: dt.date | None) -> str:
    """A day as ``2 May`` (a kick-off in its local time)."""
    return f"{moment.day} {moment:%b}" if moment is not None else "date tbc"


def kickoff_text(kickoff: dt.datetime | None, date: dt.date | None) -> str:
    """A kick-off in its local time with its offset, or in the zone of ``--tz`` if given."""
    from matchledger.cli.common import shown_in_zone

    if kickoff is not None and (local := shown_in_zone(kickoff)) is not None:
        return f"{local.day} {local:%b %Y %H:%M %Z}"
    if kickoff is not None:
        zone = kickoff.strftime("%z")
        zone = "UTC" if zone in ("", "+0000") else f"{zone[:3]}:{zone[3:5]}"
        return f"{kickoff.day} {kickoff:%b %Y %H:%M} {zone}"
    return f"{date.day} {date:%b %Y}" if date is not None else "date to be confirmed"


def minute_text(minute: int | None, added: int | None = None) -> str:
    if minute is None:
        return ""
    return f"{minute}+{added}'" if added else f"{minute}'"


# --- one match -------------------------------------------------------------------------------


def home_aggregate(board: Scoreboard, view: TieView | None) -> Score | None:
    """The tie's aggregate from this match's home side, when the match is a later leg."""
    if view is None or view.aggregate is None or len(view.legs) < 2:
        return None
    if board.leg is not None and board.leg < 2 or board.status == "scheduled":
        return None
    return _from_side(_home_side(board, view), view.aggregate)


def teams_of(board: Scoreboard, view: TieView | None, names: Names) -> tuple[str, str]:
    """Home and away as shown: the teams, or the tie's sides while they are undecided."""
    home, away = names(board.home), names(board.away)
    if view is not None and (board.home is None or board.away is None):
        first, second = (names.side(s) for s in view.sides)
        home, away = _from_side(_home_side(board, view), (first, second))
    return home, away


def _home_side(board: Scoreboard, view: TieView) -> int:
    """The side of ``view`` at home in the match of ``board``, as the tie's view has it."""
    return next((leg.home_side for leg in view.legs if leg.match == board.match), 0)


P = TypeVar("P")


def _from_side(side: int, both: tuple[P, P]) -> tuple[P, P]:
    """A pair of (side 0, side 1) as (home, away) when ``side`` is at home; and back."""
    return both if side == 0 else (both[1], both[0])


def score_line(board: Scoreboard, view: TieView | None, names: Names) -> str:
    """``Marseille 1-0 Benfica (a.e.t., 4-2 pens; agg 2-2)``; ``Roma v Milan`` before kick-off."""
    home, away = teams_of(board, view, names)
    if board.status == "scheduled":
        return f"{home} v {away}"
    extras = []
    if board.extra_time is not None:
        extras.append("a.e.t.")
    if board.penalties is not None:
        extras.append(f"{pair(board.penalties)} pens")
    notes = ", ".join(extras)
    agg = home_aggregate(board, view)
    if agg is not None:
        notes = f"{notes}; agg {pair(agg)}" if notes else f"agg {pair(agg)}"
    line = f"{home} {pair(board.score)} {away}"
    return f"{line} ({notes})" if notes else line


def status_text(board: Scoreboard) -> str:
    """Where the match is: ``full time``, ``live 67'``, ``live, half time``, ``scheduled, …``."""
    if board.status == "finished":
        return "full time"
    if board.status == "abandoned":
        return f"abandoned {minute_text(board.minute)}".strip()
    if board.status == "scheduled":
        return f"scheduled, kick-off {kickoff_text(board.kickoff, board.date)}"
    if board.period is not None and board.period.value == "PSO":
        return "live, penalty shoot-out"
    if board.period is None:
        if board.extra_time is not None:
            return "live, end of extra time"
        if board.full_time is not None:  # extra time has started once a minute is past 90
            over = board.minute is not None and board.minute > 90
            return "live, half time of extra time" if over else "live, end of 90 minutes"
        if board.half_time is not None:
            return "live, half time"
        return "live, kicked off"
    return f"live {board.clock or minute_text(board.minute)}".strip()


def headline(board: Scoreboard, view: TieView | None, names: Names) -> Text:
    """The score line in bold and the status after it, as one line."""
    text = Text(score_line(board, view, names), style="bold")
    style = "green" if board.status == "live" else "dim"
    text.append(f"  {status_text(board)}", style=style)
    return text


def scoreboard_view(board: Scoreboard, view: TieView | None, names: Names) -> Panel:
    """A match as a panel: where and when, goals, cards, and the shoot-out kick by kick."""
    parts: list[RenderableType] = []
    where = [board.competition or "", board.tie and f"{board.tie} leg {board.leg or 1}",
             kickoff_text(board.kickoff, board.date), board.venue,
             "neutral venue" if board.neutral else None]
    parts.append(Text(" · ".join(p for p in where if p), style="dim"))
    beyond = board.extra_time is not None or board.status == "live"  # 90' is not the end
    breaks = [f"HT {pair(board.half_time)}" if board.half_time else "",
              f"90' {pair(board.full_time)}" if board.full_time and beyond else "",
              f"AET {pair(board.extra_time)}" if board.extra_time else "",
              f"pens {pair(board.penalties)}" if board.penalties else ""]
    if any(breaks):
        parts.append(Text("  ".join(b for b in breaks if b), style="dim"))
    events = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    events.add_column(justify="right", style="dim", no_wrap=True)
    events.add_column(no_wrap=True)
    events.add_column()
    for fact in board.timeline:  # in match order; the kicks get a table of their own
        if isinstance(fact, GoalLine):
            events.add_row(*_goal_row(fact, names))
        elif isinstance(fact, Booking):
            colour = {"yellow": "yellow", "second_yellow": "red", "red": "red"}[fact.card.value]
            mark = "second yellow" if fact.card.value == "second_yellow" else fact.card.value
            events.add_row(minute_text(fact.minute, fact.added),
                           Text(f"▮ {names(fact.team)}", style=colour),
                           f"{fact.player} ({mark})")
        elif isinstance(fact, Substitution):
            events.add_row(minute_text(fact.minute, fact.added), f"⇄ {names(fact.team)}",
                           f"{fact.player_on} on for {fact.player_off}")
    if events.row_count:
        parts.append(events)
    if board.kicks:
        parts.append(shootout_view(board, names))
    title = headline(board, view, names)
    return Panel(Group(*parts), title=title, title_align="left", box=box.ROUNDED,
                 padding=(0, 1))


def _goal_row(goal: GoalLine, names: Names) -> tuple[str, Text, Text]:
    """A goal's line: minute, team, scorer and the score after it (struck out, disallowed)."""
    kind = {GoalKind.PENALTY: " (pen)", GoalKind.OWN_GOAL: " (og)"}.get(goal.kind, "")
    who = f"{goal.player or 'unknown scorer'}{kind}"
    label = Text(f"⚽ {names(goal.team)}", style="strike dim" if goal.disallowed else "")
    note = Text(who, style="strike dim" if goal.disallowed else "")
    if goal.disallowed:
        note.append("  disallowed", style="yellow")
    else:
        note.append(f"  {pair(goal.score_after)}", style="bold")
    return minute_text(goal.minute, goal.added), label, note


def matches_table(lines: Sequence[MatchLine], names: Names) -> Table | Text:
    """Matches one a row: kick-off (local), id, competition and round, teams and score."""
    if not lines:
        return Text("no matches", style="dim")
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for head in ("kick-off", "match", "round", "home", "", "away", "status"):
        table.add_column(head, justify="center" if head == "" else "left",
                         no_wrap=head in ("match", ""), min_width=5 if head == "" else None)
    for line in lines:
        notes = [n for n in ("a.e.t." if line.extra_time else "",
                             f"{pair(line.penalties)} pens" if line.penalties else "") if n]
        score = pair(line.score) if line.score is not None else "v"
        status = line.status + (f" ({', '.join(notes)})" if notes else "")
        round_text = (f"{line.tie} leg {line.leg or 1}" if line.tie and line.tie != line.round
                      else line.round or "")
        table.add_row(kickoff_text(line.kickoff, line.date), line.match, round_text,
                      names(line.home), score, names(line.away), status)
    return table


def shootout_view(board: Scoreboard, names: Names) -> Table:
    """The shoot-out kick by kick, with the running score."""
    table = Table(title="penalty shoot-out", title_justify="left", box=box.SIMPLE_HEAD,
                  padding=(0, 1), pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("team")
    table.add_column("taker")
    table.add_column("kick")
    table.add_column("score", justify="right")
    home = away = 0
    for n, kick in enumerate(board.kicks, 1):
        scored = kick.outcome.value == "scored"
        if scored and kick.team == board.home:
            home += 1
        elif scored:
            away += 1
        mark = Text("● scored", style="green") if scored else Text(
            f"○ {kick.outcome.value}", style="red")
        table.add_row(str(n), names(kick.team), kick.taker or "", mark, f"{home}-{away}")
    return table


# --- ties and the bracket --------------------------------------------------------------------


def legs_text(view: TieView) -> str:
    """The legs as ``2-1, 0-1 a.e.t.`` (side 0's goals first); dates for legs to come."""
    parts = []
    for leg in view.legs:
        if leg.score is None:
            parts.append(day(leg.kickoff or leg.date))
            continue
        text = pair(_from_side(leg.home_side, leg.score))
        if leg.extra_time:
            text += " a.e.t."
        if leg.status == "live":
            text += " (live)"
        elif leg.status == "abandoned":
            text += " (abandoned)"
        parts.append(text)
    return ", ".join(parts) if parts else "no fixtures yet"


_HOW = {"aggregate": "on aggregate", "away_goals": "on away goals",
        "extra_time": "after extra time", "penalties": "on penalties"}


def outcome_text(view: TieView, names: Names) -> str:
    """``Marseille through on penalties (4-2)``, or "" while the tie is open."""
    if view.winner is None:
        return ""
    how = _HOW.get(view.decided_by or "", "")
    if view.decided_by == "aggregate" and len(view.legs) < 2:
        how = ""  # one match: the score decided it
    if view.decided_by == "penalties" and view.legs and view.legs[-1].penalties:
        last = view.legs[-1]
        pens = last.penalties or (0, 0)
        winner_home = last.home == view.winner
        pens = pens if winner_home else (pens[1], pens[0])
        how += f" ({pair(pens)})"
    return f"{names(view.winner)} through {how}".strip()


def tie_label(view: TieView, names: Names) -> Text:
    """Two lines: "QF4 · Benfica v Marseille", then legs, aggregate and who went through."""
    text = Text()
    text.append(view.tie, style="bold cyan")
    text.append(" · ")
    for i, side in enumerate(view.sides):
        if i:
            text.append(" v ")
        style = ""
        if view.winner is not None:
            style = "bold green" if side.team == view.winner else "dim"
        elif side.team is None:
            style = "italic"
        text.append(names.side(side), style=style)
    details = [legs_text(view)]
    if view.aggregate is not None and len(view.legs) > 1:
        details.append(f"agg {pair(view.aggregate)}")
    outcome = outcome_text(view, names)
    text.append("\n" + " · ".join(details), style="dim")
    if outcome:
        text.append(" · ", style="dim")
        text.append(outcome, style="green")
    elif view.legs and all(leg.status == "scheduled" for leg in view.legs):
        pass
    else:
        text.append(" · open", style="yellow")
    return text


def bracket_tree(view: Bracket, names: Names, when: str | None = None) -> Tree:
    """The bracket as a tree: the final at the root, each tie's feeders under it."""
    ties = {t.tie: t for r in view.rounds for t in r.ties}
    feeders = {t.tie: [s.winner_of for s in t.sides if s.winner_of in ties] for t in ties.values()}
    fed = {f for fs in feeders.values() for f in fs if f is not None}
    order = [t.tie for r in reversed(view.rounds) for t in r.ties]
    title = Text(f"🏆 {view.name or view.competition}", style="bold")
    if view.season:
        title.append(f" {view.season}", style="bold")
    if when:
        title.append(f"  {when}", style="dim")
    tree = Tree(title, guide_style="dim")
    seen: set[str] = set()

    def add(node: Tree, tie_id: str) -> None:
        if tie_id in seen:  # a malformed draw could feed one tie twice: draw it once
            return
        seen.add(tie_id)
        child = node.add(tie_label(ties[tie_id], names))
        for source in feeders[tie_id]:
            if source is not None:
                add(child, source)

    for tie_id in order:
        if tie_id not in fed:
            add(tree, tie_id)
    if not ties:
        tree.add(Text("no ties drawn (for a league, see matchledger table)", style="dim"))
    return tree


def tie_view(view: TieView, names: Names) -> Panel:
    """One tie: its legs as a table, then the aggregate and who went through."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("leg", justify="right")
    table.add_column("kick-off (local)", no_wrap=True)
    table.add_column("home")
    table.add_column("score", justify="center")
    table.add_column("away")
    table.add_column("status")
    sides = [names.side(s) for s in view.sides]
    for n, leg in enumerate(view.legs, 1):
        home = names(leg.home) if leg.home else sides[leg.home_side]
        away = names(leg.away) if leg.away else sides[1 - leg.home_side]
        score = pair(leg.score) if leg.score is not None else "v"
        if leg.extra_time:
            score += " aet"
        if leg.penalties is not None:
            score += f" ({pair(leg.penalties)} p)"
        when = leg.kickoff or leg.date
        when_text = f"{when:%d %b %Y %H:%M}" if leg.kickoff else (
            f"{when:%d %b %Y}" if when else "tbc")
        table.add_row(str(leg.leg or n), when_text.lstrip("0"), home, score, away, leg.status)
    # the match ids, to ask for a leg's score, under the table: long ids would squeeze names
    lines: list[RenderableType] = [
        table, Text("matches: " + ", ".join(leg.match for leg in view.legs), style="dim")]
    summary = Text()
    if view.aggregate is not None:
        first, second = (names.side(s) for s in view.sides)
        summary.append(f"aggregate {first} {pair(view.aggregate)} {second}")
    outcome = outcome_text(view, names)
    if outcome:
        summary.append(("  " if summary else "") + outcome, style="bold green")
    elif view.aggregate is not None:
        summary.append("  open", style="yellow")
    if summary:
        lines.append(summary)
    title = Text(f"{view.tie} ({view.round}) · ", style="bold")
    title.append(" v ".join(names.side(s) for s in view.sides), style="bold")
    return Panel(Group(*lines), title=title, title_align="left", subtitle=view.competition,
                 subtitle_align="right", padding=(0, 1))


# --- records ---------------------------------------------------------------------------------


def records_table(records: Sequence[TeamRecord], names: Names, title: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("team")
    for head in ("P", "W", "D", "L", "GF", "GA", "GD", "CS", "Y", "R", "Pts"):
        table.add_column(head, justify="right", style="bold" if head == "Pts" else "")
    for n, r in enumerate(records, 1):
        difference = f"{r.goal_difference:+d}" if r.goal_difference else "0"
        table.add_row(str(n), names(r.team), *map(str, (
            r.played, r.won, r.drawn, r.lost, r.goals_for, r.goals_against, difference,
            r.clean_sheets, r.yellow, r.red, r.points)))
    return table


def teams_table(teams: Sequence[Team]) -> Table:
    table = Table(title=f"{len(teams)} team{'s' if len(teams) != 1 else ''}",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for head in ("id", "name", "country", "aliases", "competitions"):
        table.add_column(head, style="dim" if head == "competitions" else "")
    for t in teams:
        table.add_row(t.id, t.name, t.country or "", ", ".join(t.aliases),
                      ", ".join(t.competitions))
    return table


def match_label(state: State, match: str | None, team: str, names: Names) -> str:
    """One of ``team``'s matches as ``18 Apr at West Ham``."""
    if match is None:
        return ""
    fx = state.fixtures.get(match)
    if fx is None:
        return match
    opponent = fx.away if fx.home == team else fx.home
    if fx.neutral:
        return f"{day(fx.kickoff or fx.date)} v {names(opponent)} (neutral)"
    venue = "v" if fx.home == team else "at"
    return f"{day(fx.kickoff or fx.date)} {venue} {names(opponent)}"


def streak_text(streak: Streak, state: State, team: str, names: Names) -> Text:
    if not streak.length:
        return Text("–", style="dim")
    text = Text(f"{streak.length}", style="bold")
    text.append(f"  {streak.wins}W {streak.draws}D {streak.losses}L", style="dim")
    first = match_label(state, streak.first_match, team, names)
    last = match_label(state, streak.last_match, team, names)
    text.append(f"\n{first}" + (f" → {last}" if streak.length > 1 else ""), style="dim")
    return text


def streaks_table(view: Streaks, state: State, names: Names,
                  competition: str | None = None) -> Table:
    table = Table(title=f"{names(view.team)}: streaks in kick-off order, "
                        f"{f'in {competition}' if competition else 'all competitions'} "
                        "(a shoot-out counts as a draw)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("kind")
    table.add_column("current")
    table.add_column("longest")
    for kind in KINDS:
        pair_ = getattr(view, kind)
        table.add_row(kind.replace("_", " "), streak_text(pair_.current, state, view.team, names),
                      streak_text(pair_.longest, state, view.team, names))
    return table


def all_streaks_table(views: Sequence[Streaks], names: Names,
                      competition: str | None = None) -> Table:
    table = Table(title=f"current streaks{f' in {competition}' if competition else ''} "
                        "(longest in brackets)", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("team")
    for kind in KINDS:
        table.add_column(kind.replace("_", " "), justify="right")
    for view in views:
        cells = []
        for kind in KINDS:
            p = getattr(view, kind)
            cells.append(f"{p.current.length} ({p.longest.length})")
        table.add_row(names(view.team), *cells)
    return table


def players_table(records: Sequence[PlayerRecord], names: Names, title: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("player")
    table.add_column("team")
    for head in ("goals", "pens", "og", "Y", "R"):
        table.add_column(head, justify="right", style="bold" if head == "goals" else "")
    for n, r in enumerate(records, 1):
        table.add_row(str(n), r.player, names(r.team), str(r.goals), str(r.penalties),
                      str(r.own_goals), str(r.yellow), str(r.red))
    return table


# --- the log ---------------------------------------------------------------------------------


def _sides(sides: Sequence[Side]) -> str:
    return " v ".join(s.team or f"winner of {s.winner_of}" for s in sides)


def describe(event: Event) -> str:
    """One line saying what an event records, for the log."""
    match event:
        case GoalScored():
            kind = {GoalKind.PENALTY: " (pen)", GoalKind.OWN_GOAL: " (og)"}.get(event.kind, "")
            who = event.player or "unknown scorer"
            return f"⚽ {event.team}: {who}{kind} {minute_text(event.minute, event.added)}".rstrip()
        case CardShown():
            card = event.card.value.replace("_", " ")
            when = minute_text(event.minute, event.added)
            return f"{card} card: {event.player} ({event.team}) {when}".rstrip()
        case SubstitutionMade():
            when = minute_text(event.minute, event.added)
            return f"⇄ {event.team}: {event.player_on} on for {event.player_off} {when}".rstrip()
        case ShootoutKick():
            return f"kick {event.team}: {event.taker or 'unknown taker'} {event.outcome.value}"
        case GoalDisallowed():
            why = f": {event.reason}" if event.reason else ""
            return f"goal {event.goal[:8]} disallowed{why}"
        case EventRetracted():
            instead = f" for {event.replacement[:8]}" if event.replacement else ""
            return f"retracts {event.event[:8]}{instead}: {event.reason}"
        case MatchStarted():
            return "kick-off"
        case PeriodStarted():
            return f"{event.period.value} starts"
        case PeriodEnded():
            return f"{event.period.value} ends"
        case MatchEnded():
            return "full time"
        case ResultReported():
            parts = [f"result {pair(event.full_time)}"]
            if event.half_time is not None:
                parts.append(f"HT {pair(event.half_time)}")
            if event.extra_time is not None:
                parts.append(f"a.e.t. {pair(event.extra_time)}")
            if event.penalties is not None:
                parts.append(f"{pair(event.penalties)} pens")
            said = f" (per {event.source})" if event.source else ""
            return ", ".join(parts) + said
        case MatchAbandoned():
            why = f": {event.reason}" if event.reason else ""
            return f"abandoned {minute_text(event.minute)}{why}".strip()
        case CompetitionCreated():
            return f"{event.name} {event.season} ({event.format.value})"
        case TeamRegistered():
            aka = f" aka {', '.join(event.aliases)}" if event.aliases else ""
            country = f", {event.country}" if event.country else ""
            return f"{event.name} ({event.team}{country}){aka}"
        case PlayerRegistered():
            aka = f" aka {', '.join(event.aliases)}" if event.aliases else ""
            return f"{event.name} ({event.team}){aka}"
        case TieDrawn():
            legs = "1 leg" if event.legs == 1 else f"{event.legs} legs"
            name = event.tie if event.tie == event.round else f"{event.round} {event.tie}"
            return f"{name}: {_sides(event.sides)} ({legs})"
        case FixtureScheduled():
            teams = f"{event.home or '?'} v {event.away or '?'}"
            tie = f" {event.tie} leg {event.leg or 1}" if event.tie else ""
            return f"{event.match}: {teams}{tie}, {kickoff_text(event.kickoff, event.date)}"
    return type(event).__name__


def utc(moment: dt.datetime) -> str:
    """A moment as the log shows it, in the zone of ``--tz`` (UTC unless given)."""
    from matchledger.cli.common import clock_time

    return clock_time(moment)


def log_table(envelopes: Sequence[Envelope], *, show_stream: bool = True,
              title: str | None = None) -> Table:
    from matchledger.cli.common import zone_label

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("pos", justify="right", no_wrap=True)
    table.add_column("id", style="dim", no_wrap=True)
    table.add_column(f"occurred ({zone_label()})", no_wrap=True)
    if show_stream:
        table.add_column("stream", overflow="fold")
    table.add_column("v", justify="right", style="dim", no_wrap=True)
    table.add_column("event", overflow="fold")
    for env in envelopes:
        cells: list[RenderableType] = [str(env.position), env.event_id[:8], utc(env.occurred_at)]
        if show_stream:
            cells.append(env.stream)
        what = Text(env.type, style="cyan")
        what.append(f" {describe(env.event)}", style="")
        cells += [str(env.version), what]
        table.add_row(*cells)
    return table


def log_line(env: Envelope, *, show_stream: bool = True) -> Text:
    """One event as a line, for ``log --follow``."""
    text = Text(f"{env.position:>6} ", style="bold")
    text.append(f"{env.event_id[:8]} ", style="dim")
    if show_stream:
        text.append(f"{env.stream} ")
    text.append(f"v{env.version} ", style="dim")
    from matchledger.cli.common import zone_label

    text.append(f"{utc(env.occurred_at)} {zone_label()} ")
    text.append(f"{env.type} ", style="cyan")
    text.append(describe(env.event))
    return text


def key_values(rows: Mapping[str, object], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", box=None, show_header=False,
                  pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows.items():
        table.add_row(key, str(value))
    return table

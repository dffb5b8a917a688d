"""A deterministic, realistic ledger: seasons of leagues and two-legged cups, as append batches.

``generate(events=N, seed=S)`` yields ``(stream, [Draft, ...])`` batches in the order a data desk
would append them (by the time it learns each fact), exactly ``N`` events in all, every batch
valid under the ledger's append rules. The same seed and size always give the same events,
event ids included, so a baseline can be fed the very rows the ledger stores (``rows``).

    >>> from matchledger.ledger import Ledger
    >>> lg = Ledger("bench.db")
    >>> for stream, drafts in generate(events=10_000):
    ...     lg.append(stream, drafts)

What is in it, per season:

- ``leagues`` leagues of 20 clubs, double round robin (38 weekends, a winter break), each club a
  squad of 22; goals with minutes and stoppage time (some penalties, some own goals), yellow
  cards, second yellows, straight reds, VAR-disallowed goals, data-entry mistakes retracted
  (``EventRetracted``) and re-entered, a rare abandoned match and its replay, and about 2% of
  matches back-filled weeks late (``recorded_at`` set, or only a ``ResultReported``).
- ``cups`` knockout cups of 16 clubs drawn from the leagues (clubs play both: streaks cross
  competitions): R16 and QF drawn with teams and ``winner_of`` links to the final, two legs
  then a one-match final, semi-final and final fixtures scheduled without teams and scheduled
  again once both sides are known, extra time and IFAB Law 10 shoot-outs (alternating, best of
  five then sudden death, ended as soon as decided), away goals before 2021/22.

``occurred_at`` is kick-off plus the match minute (plus stoppage and breaks); ``recorded_at`` is
left to the ledger except for back-filled matches (or everywhere with ``recorded="desk"``, which
stamps each batch with the simulated desk clock, for ``known_at`` queries).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from matchledger.events import (
    Card,
    CardShown,
    CompetitionCreated,
    CompetitionFormat,
    Event,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    KickOutcome,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    PlayerRegistered,
    ResultReported,
    ShootoutKick,
    Side,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.clock import PERIOD_MINUTES
from matchledger.events.match import MatchState
from matchledger.events.rules import TieContext, level
from matchledger.events.shootout import shootout_over
from matchledger.events.tie import TieLeg, decide_tie
from matchledger.ledger import Draft, to_micros
from matchledger.ledger.codec import encode
from matchledger.ledger.jsontext import dumps, dumps_data
from matchledger.ledger.store import GENESIS, chain_hash

Batch = tuple[str, list[Draft]]
Row = tuple[int, str, str, int, str, int, int, int, str, str | None, bytes]  # as a new file
Recorded = Literal["ledger", "desk"]

UTC = dt.UTC
TEAMS_PER_LEAGUE = 20
SQUAD = 22
MATCHDAY_SQUAD = 14  # eleven starters and three substitutes
CUP_TEAMS = 16
# rough events per season of one competition, to size a world to a target (see ``plan_for``)
EVENTS_PER_LEAGUE_SEASON = 5_400 + TEAMS_PER_LEAGUE * SQUAD  # its matches, its squads
EVENTS_PER_CUP_SEASON = 460

# --- the world: countries, clubs, players -------------------------------------------------

_COUNTRIES = (  # code, UTC offset in winter (summer is one more), league name
    ("ENG", 0, "Premier Division"), ("ESP", 1, "Primera Liga"), ("ITA", 1, "Serie Alta"),
    ("GER", 1, "Erste Liga"), ("FRA", 1, "Division Une"), ("POR", 0, "Liga Principal"),
    ("NED", 1, "Eerste Divisie"), ("BEL", 1, "Pro Liga"), ("SCO", 0, "Premiership"),
    ("TUR", 2, "Super Lig"), ("AUT", 1, "Bundesliga"), ("SUI", 1, "Super League"),
    ("GRE", 2, "Super League"), ("DEN", 1, "Superliga"), ("SWE", 1, "Allsvenskan"),
    ("NOR", 1, "Eliteserien"), ("CZE", 1, "Prvni Liga"), ("POL", 1, "Ekstraklasa"),
    ("CRO", 1, "Prva Liga"), ("SRB", 1, "Super Liga"), ("UKR", 2, "Premier Liga"),
    ("ROU", 2, "Liga I"), ("HUN", 1, "NB I"), ("BUL", 2, "Parva Liga"),
)
_PREFIXES = ("Al", "Bel", "Cor", "Dun", "El", "Fal", "Gar", "Hol", "Is", "Jar", "Kel", "Lor",
             "Mar", "Nor", "Or", "Pel", "Quin", "Ros", "Sal", "Tor", "Ul", "Val", "Wes", "Yar",
             "Zan", "Brun", "Cas", "Drav", "Fen", "Grim")
_MIDDLES = ("", "a", "e", "i", "o", "an", "en", "or", "ing", "ster")
_SUFFIXES = ("bury", "dale", "ford", "ham", "ton", "mont", "ville", "stad", "burg", "heim",
             "polis", "vik", "grad", "ia", "ona", "ino", "gate", "wick")
_CLUB_PATTERNS = ("{t} FC", "Real {t}", "Sporting {t}", "{t} United", "Dynamo {t}",
                  "Athletic {t}", "{t} City", "Olympique {t}", "{t} Rovers", "Racing {t}",
                  "AC {t}", "Union {t}")
_FIRST = ("Luca", "Mateo", "Jonas", "Noah", "Kai", "Marco", "Andrés", "João", "Mikkel", "Emre",
          "Lars", "Hugo", "Tomás", "Ivan", "Stefan", "Oliver", "Rafael", "Théo", "Nikola",
          "Youssef", "Diego", "Jan", "Pavel", "Sandro", "Ali", "Ben", "Callum", "Dário",
          "Eryk", "Filip")
_LAST = ("Moretti", "García", "Schneider", "Dubois", "Jansen", "Silva", "Novak", "Kowalski",
         "Andersen", "Yilmaz", "Petrović", "Müller", "Rossi", "Fernandes", "Larsen", "Horvat",
         "Popescu", "Ivanov", "Costa", "Bakker", "Lambert", "Scamacca", "O'Brien", "Nagy",
         "Eriksen", "Santos", "Koch", "Marchetti", "Vidal", "Berg", "Kuznetsov", "Peeters",
         "Okafor", "Mendes", "Laurent", "Weber", "Romero", "Hansen", "Demir", "Kovač")
_VAR_REASONS = ("offside (VAR)", "foul in the build-up (VAR)", "handball (VAR)",
                "ball out of play", "offside")
_ABANDON_REASONS = ("floodlight failure", "waterlogged pitch", "crowd trouble", "fog")
_RARE = (  # per team and 90 minutes
    ("red", 0.035),  # a straight red (second yellows come from repeated bookings)
    ("disallowed", 0.06),  # a goal ruled out by VAR
    ("card-mistake", 0.006),  # a yellow typed for the wrong player, retracted
    ("goal-mistake", 0.004),  # a goal typed for the wrong team, retracted
)


@attrs.frozen(kw_only=True)
class Club:
    id: str
    name: str
    country: str
    aliases: tuple[str, ...]
    players: tuple[str, ...]  # goalkeepers first, forwards last
    misspelt: tuple[tuple[str, str], ...]  # (player, a spelling sources use)
    stadium: str


@attrs.frozen(kw_only=True)
class Plan:
    """The shape of the generated world: how many seasons and competitions per season."""

    seasons: int
    leagues: int
    cups: int
    first_season: int = 2014


def plan_for(events: int) -> Plan:
    """A world whose full seasons hold about ``events`` events (the last one may be cut)."""
    seasons = max(1, min(40, events // 100_000))
    per_season = events / seasons
    leagues = max(1, min(len(_COUNTRIES), int(per_season * 0.93 // EVENTS_PER_LEAGUE_SEASON)))
    rest = per_season - leagues * EVENTS_PER_LEAGUE_SEASON
    cups = max(2, min(4 * leagues + 4, round(rest / EVENTS_PER_CUP_SEASON)))
    return Plan(seasons=seasons, leagues=leagues, cups=cups, first_season=2024 - seasons)


def _clubs(rng: random.Random, leagues: int) -> list[list[Club]]:
    towns = [p + m + s for p in _PREFIXES for m in _MIDDLES for s in _SUFFIXES]
    rng.shuffle(towns)
    picked: list[str] = []
    seen: set[str] = set()
    for town in towns:
        key = town.lower()
        if key not in seen:
            seen.add(key)
            picked.append(town)
        if len(picked) == leagues * TEAMS_PER_LEAGUE:
            break
    world = []
    for li in range(leagues):
        country = _COUNTRIES[li][0]
        clubs = []
        for town in picked[li * TEAMS_PER_LEAGUE : (li + 1) * TEAMS_PER_LEAGUE]:
            name = rng.choice(_CLUB_PATTERNS).format(t=town)
            ident = name.lower().replace(" ", "-")
            players = _squad(rng)
            misspelt = tuple((p, _misspell(rng, p)) for p in rng.sample(players[9:], 2))
            clubs.append(Club(id=ident, name=name, country=country,
                              aliases=(town, f"{name} ({country})"), players=players,
                              misspelt=misspelt, stadium=f"Stadion {town}"))
        world.append(clubs)
    return world


def _squad(rng: random.Random) -> tuple[str, ...]:
    names: list[str] = []
    while len(names) < SQUAD:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if name not in names:
            names.append(name)
    return tuple(names)


def _misspell(rng: random.Random, name: str) -> str:
    first, last = name.split(" ", 1)
    i = rng.randrange(1, len(last) - 1)
    if last[i] == last[i - 1]:
        return f"{first} {last[:i] + last[i + 1:]}"  # a doubled letter dropped: "Scamaca"
    return f"{first} {last[:i] + last[i] + last[i:]}"  # a letter doubled


# --- writing one match ----------------------------------------------------------------------


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@attrs.define
class _Lineup:
    club: Club
    players: list[str]  # today's matchday squad, starters first
    weights: list[float]
    booked: set[str] = attrs.field(factory=set)
    off: list[str] = attrs.field(factory=list)

    def active(self) -> list[str]:
        return [p for p in self.players if p not in self.off]

    def scorer(self, rng: random.Random) -> str:
        pool = [(p, w) for p, w in zip(self.players, self.weights, strict=True)
                if p not in self.off]
        return rng.choices([p for p, _ in pool], [w for _, w in pool])[0]


@attrs.define
class _Sheet:
    """The drafts of one match stream, as the desk types them."""

    gen: _Ids
    kickoff: dt.datetime
    meta: Mapping[str, Any]
    recorded_at: dt.datetime | None
    drafts: list[Draft] = attrs.field(factory=list)
    last: dt.datetime | None = None

    def add(self, event: Event, when: dt.datetime) -> str:
        if self.last is not None and when < self.last:
            when = self.last
        self.last = when
        event_id = self.gen.new()
        self.drafts.append(Draft(event=event, occurred_at=when, event_id=event_id,
                                 meta=self.meta, recorded_at=self.recorded_at))
        return event_id


@attrs.define
class _Ids:
    rng: random.Random

    def new(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


@attrs.frozen(kw_only=True)
class Played:
    """What the rest of the season needs to know about a match that was written."""

    drafts: list[Draft]
    score: tuple[int, int]
    half_time: tuple[int, int]
    abandoned: bool
    state: MatchState | None  # the fold, for cup matches whose tie depends on it


class _Match:
    """Plays one match period by period, writing only events the ledger will admit."""

    def __init__(self, rng: random.Random, sheet: _Sheet, home: Club, away: Club,
                 *, strength: float = 1.0) -> None:
        self.rng, self.sheet = rng, sheet
        self.sides = {home.id: self._lineup(home), away.id: self._lineup(away)}
        self.home, self.away = home.id, away.id
        self.score = {home.id: 0, away.id: 0}
        self.half_time = (0, 0)
        self.offset = 0  # minutes from kick-off to the start of the current period
        self.lam = {home.id: 1.5 * strength, away.id: 1.2 / strength}

    def _lineup(self, club: Club) -> _Lineup:
        chosen = sorted(self.rng.sample(range(SQUAD), MATCHDAY_SQUAD))
        players = [club.players[i] for i in chosen]
        return _Lineup(club=club, players=players, weights=[0.2 + i * i / 60 for i in chosen])

    def at(self, minutes: float) -> dt.datetime:
        return self.sheet.kickoff + dt.timedelta(minutes=minutes)

    def other(self, team: str) -> str:
        return self.away if team == self.home else self.home

    def play_period(self, period: Period, *, abandon_at: int | None = None) -> bool:
        """Write one period; False if the match was abandoned in it."""
        rng, first, last = self.rng, *PERIOD_MINUTES[period]
        length = last - first + 1
        stoppage = rng.randint(0, 4) if period is Period.FIRST_HALF else (
            rng.randint(2, 7) if period is Period.SECOND_HALF else rng.randint(0, 2))
        share = length / 90
        incidents: list[tuple[str, str]] = []  # (kind, team)
        for team in (self.home, self.away):
            incidents += [("goal", team)] * _poisson(rng, self.lam[team] * share)
            incidents += [("card", team)] * _poisson(rng, 1.9 * share)
            for kind, chance in _RARE:
                if rng.random() < chance * share:
                    incidents.append((kind, team))
        timed = []
        for kind, team in incidents:
            minute = rng.randint(first, last + stoppage)  # past ``last``: stoppage time
            added = minute - last if minute > last else 0
            timed.append((min(minute, last), added, kind, team))
        timed.sort(key=lambda i: (i[0], i[1]))
        self.sheet.add(PeriodStarted(period=period), self.at(self.offset))
        for minute, added, kind, team in timed:
            if abandon_at is not None and minute >= abandon_at:
                break
            when = self.at(self.offset + minute - first + added + rng.random())
            self._incident(kind, team, minute, added or None, when)
        if abandon_at is not None:
            self.sheet.add(MatchAbandoned(reason=rng.choice(_ABANDON_REASONS), minute=abandon_at),
                           self.at(self.offset + abandon_at - first + 1))
            return False
        end = self.offset + length + stoppage
        self.sheet.add(PeriodEnded(period=period), self.at(end))
        if period is Period.FIRST_HALF:
            self.half_time = (self.score[self.home], self.score[self.away])
        self.offset = end + (15 if period is Period.FIRST_HALF else
                             5 if period is Period.SECOND_HALF else 1)
        return True

    def _incident(self, kind: str, team: str, minute: int, added: int | None,
                  when: dt.datetime) -> None:
        rng, side, add = self.rng, self.sides[team], self.sheet.add
        later = when + dt.timedelta(minutes=1)
        if kind == "goal":
            self._goal(team, minute, added, when)
        elif kind == "goal-mistake":  # typed for the wrong team, retracted, typed again
            wrong = self.other(team)
            goal_id = add(GoalScored(team=wrong, player=self.sides[wrong].scorer(rng),
                                     minute=minute, added=added), when)
            add(EventRetracted(event=goal_id, reason="goal entered for the wrong team"), later)
            self._goal(team, minute, added, later)
        elif kind == "disallowed":
            goal_id = add(GoalScored(team=team, player=side.scorer(rng), minute=minute,
                                     added=added), when)
            add(GoalDisallowed(goal=goal_id, reason=rng.choice(_VAR_REASONS)), later)
        elif kind in ("card", "card-mistake"):
            fresh = [p for p in side.active() if p not in side.booked]
            player = rng.choice(side.active())
            if player in side.booked:
                if len(side.off) >= 2:
                    return
                side.off.append(player)
                add(CardShown(team=team, player=player, card=Card.SECOND_YELLOW,
                              minute=minute, added=added), when)
                return
            if kind == "card-mistake" and len(fresh) >= 2:
                wrong, player = rng.sample(fresh, 2)
                card_id = add(CardShown(team=team, player=wrong, card=Card.YELLOW,
                                        minute=minute, added=added), when)
                add(EventRetracted(event=card_id, reason=f"wrong player: {player}"), later)
                when = later
            side.booked.add(player)
            add(CardShown(team=team, player=player, card=Card.YELLOW, minute=minute,
                          added=added), when)
        elif kind == "red" and len(side.off) < 2:
            player = rng.choice(side.active())
            side.off.append(player)
            add(CardShown(team=team, player=player, card=Card.RED, minute=minute,
                          added=added), when)

    def _goal(self, credited: str, minute: int, added: int | None, when: dt.datetime) -> None:
        rng, roll = self.rng, self.rng.random()
        if roll < 0.03:
            conceding = self.other(credited)
            event = GoalScored(team=conceding, player=self.sides[conceding].scorer(rng),
                               minute=minute, added=added, kind=GoalKind.OWN_GOAL)
        else:
            kind = GoalKind.PENALTY if roll < 0.12 else GoalKind.OPEN_PLAY
            event = GoalScored(team=credited, player=self.sides[credited].scorer(rng),
                               minute=minute, added=added, kind=kind)
        self.sheet.add(event, when)
        self.score[credited] += 1

    def shootout(self) -> None:
        rng, sheet = self.rng, self.sheet
        sheet.add(PeriodStarted(period=Period.SHOOTOUT), self.at(self.offset + 2))
        eligible = 11 - max(len(s.off) for s in self.sides.values())
        takers = {}
        for team, side in self.sides.items():
            on_pitch = side.active()[: 11 - len(side.off)]
            takers[team] = rng.sample(on_pitch, eligible)  # IFAB: everyone before anyone twice
        order = [self.home, self.away]
        rng.shuffle(order)  # the toss
        taken = {self.home: 0, self.away: 0}
        scored = {self.home: 0, self.away: 0}
        minute = self.offset + 3
        while not shootout_over((taken[order[0]], taken[order[1]]),
                                (scored[order[0]], scored[order[1]])):
            team = order[0] if taken[order[0]] == taken[order[1]] else order[1]
            roll = rng.random()
            outcome = (KickOutcome.SCORED if roll < 0.76 else
                       KickOutcome.SAVED if roll < 0.93 else KickOutcome.MISSED)
            taker = takers[team][taken[team] % eligible]
            sheet.add(ShootoutKick(team=team, taker=taker, outcome=outcome), self.at(minute))
            taken[team] += 1
            scored[team] += outcome is KickOutcome.SCORED
            minute += 1
        sheet.add(PeriodEnded(period=Period.SHOOTOUT), self.at(minute))
        self.offset = minute


def _fold(drafts: Sequence[Draft], home: str, away: str) -> MatchState:
    state = MatchState(home=home, away=away)
    for draft in drafts:
        state = state.apply(draft.event, event_id=draft.event_id)
    return state


def play(rng: random.Random, sheet: _Sheet, home: Club, away: Club, *,
         ctx: TieContext | None = None, abandon: bool = False, track: bool = False) -> Played:
    """Write a whole match; with ``ctx`` of a deciding match, extra time and penalties."""
    match = _Match(rng, sheet, home, away, strength=rng.uniform(0.75, 1.3))
    sheet.add(MatchStarted(), sheet.kickoff)
    abandon_at = rng.randint(50, 85) if abandon else None
    if not match.play_period(Period.FIRST_HALF) or not match.play_period(
            Period.SECOND_HALF, abandon_at=abandon_at):
        return Played(drafts=sheet.drafts, score=(match.score[home.id], match.score[away.id]),
                      half_time=match.half_time, abandoned=True, state=None)
    if ctx is not None and ctx.deciding:
        state = _fold(sheet.drafts, home.id, away.id)
        if level(state, ctx, extra_time_played=False):
            if ctx.rules.extra_time:
                match.lam = {t: lam / 2 for t, lam in match.lam.items()}
                match.play_period(Period.EXTRA_FIRST)
                match.play_period(Period.EXTRA_SECOND)
                state = _fold(sheet.drafts, home.id, away.id)
            if level(state, ctx, extra_time_played=ctx.rules.extra_time):
                match.shootout()
    sheet.add(MatchEnded(), match.at(match.offset))
    return Played(drafts=sheet.drafts, score=(match.score[home.id], match.score[away.id]),
                  half_time=match.half_time, abandoned=False,
                  state=_fold(sheet.drafts, home.id, away.id) if track else None)


# --- a season -------------------------------------------------------------------------------


@attrs.define
class _Season:
    """Every batch of one season, each with the desk time at which it is appended."""

    rng: random.Random
    ids: _Ids
    year: int
    recorded: Recorded
    batches: list[tuple[dt.datetime, int, str, list[Draft]]] = attrs.field(factory=list)

    def put(self, desk: dt.datetime, stream: str, drafts: list[Draft]) -> None:
        if self.recorded == "desk":
            drafts = [d if d.recorded_at is not None else attrs.evolve(d, recorded_at=desk)
                      for d in drafts]
        self.batches.append((desk, len(self.batches), stream, drafts))

    def sheet(self, kickoff: dt.datetime, meta: Mapping[str, Any],
              recorded_at: dt.datetime | None = None) -> _Sheet:
        return _Sheet(gen=self.ids, kickoff=kickoff, meta=meta, recorded_at=recorded_at)

    def sorted(self) -> list[Batch]:
        return [(stream, drafts) for _, _, stream, drafts in sorted(self.batches,
                                                                     key=lambda b: b[:2])]


_FEED = {"source": "live-feed"}
_OFFICE = {"source": "fixtures-office"}
_BACK_OFFICE = {"source": "back-office"}


def _zone(country: str, day: dt.date) -> dt.timezone:
    winter = next(offset for code, offset, _ in _COUNTRIES if code == country)
    summer = 4 <= day.month <= 10
    return dt.timezone(dt.timedelta(hours=winter + summer))


def _kickoff(day: dt.date, hour: int, minute: int, country: str) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=_zone(country, day))


def _season_label(year: int) -> str:
    return f"{year}/{str(year + 1)[2:]}"


def _round_robin(teams: Sequence[Club]) -> list[list[tuple[Club, Club]]]:
    """Circle method: 19 rounds, then the same with home and away swapped."""
    rot = list(teams)
    n = len(rot)
    rounds = []
    for r in range(n - 1):
        pairs = []
        for i in range(n // 2):
            a, b = rot[i], rot[n - 1 - i]
            pairs.append((a, b) if (r + i) % 2 == 0 else (b, a))
        rounds.append(pairs)
        rot = [rot[0], rot[-1], *rot[1:-1]]
    return rounds + [[(b, a) for a, b in pairs] for pairs in rounds]


_SLOTS = ((4, 20, 0), (5, 15, 0), (5, 15, 0), (5, 17, 30), (5, 20, 0), (6, 14, 0),
          (6, 16, 30), (6, 16, 30), (6, 20, 45), (7, 20, 0))  # weekday from Mon, hour, minute


def _league(season: _Season, li: int, clubs: list[Club]) -> None:
    rng, year = season.rng, season.year
    country, _, title = _COUNTRIES[li]
    comp = f"{country.lower()}-1-{year % 100:02d}{(year + 1) % 100:02d}"
    stream = f"competition:{comp}"
    opened = dt.datetime(year, 7, 1, 9, 0, tzinfo=UTC) + dt.timedelta(days=li)
    events: list[Event] = [CompetitionCreated(
        competition=comp, name=f"{title} {_season_label(year)}", season=_season_label(year),
        format=CompetitionFormat.LEAGUE)]
    order = list(clubs)
    rng.shuffle(order)
    for club in order:
        events.append(TeamRegistered(team=club.id, name=club.name, country=club.country,
                                     aliases=club.aliases))
    for club in order:  # each season's squad, some with the spelling sources use
        spelt = dict(club.misspelt)
        events += [PlayerRegistered(team=club.id, name=name,
                                    aliases=(spelt[name],) if name in spelt else ())
                   for name in club.players]
    first_saturday = dt.date(year, 8, 1) + dt.timedelta(days=(5 - dt.date(year, 8, 1).weekday())
                                                        % 7)
    fixtures: list[tuple[str, dt.datetime, Club, Club, int]] = []
    for md, pairs in enumerate(_round_robin(order), 1):
        week = md - 1 + (2 if md > 19 else 0)  # a winter break
        monday = first_saturday + dt.timedelta(days=7 * week - 5)
        slots = list(_SLOTS)
        rng.shuffle(slots)
        for gi, ((home, away), (weekday, hour, minute)) in enumerate(zip(pairs, slots,
                                                                          strict=True)):
            kickoff = _kickoff(monday + dt.timedelta(days=weekday), hour, minute, country)
            match = f"{comp}-md{md:02d}-{gi + 1:02d}"
            events.append(FixtureScheduled(match=match, date=kickoff.date(), kickoff=kickoff,
                                           home=home.id, away=away.id, round=f"Matchday {md}",
                                           venue=home.stadium))
            fixtures.append((match, kickoff, home, away, md))
    office = season.sheet(opened, _OFFICE)
    for event in events:
        office.add(event, opened)
    season.put(opened, stream, office.drafts)
    for match, kickoff, home, away, _md in fixtures:
        _league_match(season, stream, match, kickoff, home, away)


def _league_match(season: _Season, comp_stream: str, match: str, kickoff: dt.datetime,
                  home: Club, away: Club, *, replay: bool = False) -> None:
    rng = season.rng
    roll = rng.random()
    if roll < 0.02:  # typed in weeks later by the back office
        desk = kickoff + dt.timedelta(days=rng.uniform(4, 28))
        sheet = season.sheet(kickoff, _BACK_OFFICE, recorded_at=desk.astimezone(UTC))
        played = play(rng, sheet, home, away)
        drafts = played.drafts
        if rng.random() < 0.35:  # only the result, from the league's website
            whistle = kickoff + dt.timedelta(minutes=112)
            drafts = [Draft(event=ResultReported(full_time=played.score,
                                                 half_time=played.half_time,
                                                 source="league website"),
                            occurred_at=whistle, event_id=season.ids.new(), meta=_BACK_OFFICE,
                            recorded_at=desk.astimezone(UTC))]
        season.put(desk, f"match:{match}", drafts)
        return
    abandon = roll > 0.998 and not replay
    sheet = season.sheet(kickoff, _FEED)
    played = play(rng, sheet, home, away, abandon=abandon)
    season.put(sheet.last or kickoff, f"match:{match}", played.drafts)
    if played.abandoned:
        announced = kickoff + dt.timedelta(days=1)
        day = (kickoff + dt.timedelta(days=10)).date()
        day += dt.timedelta(days=(2 - day.weekday()) % 7)  # a Wednesday
        again = _kickoff(day, 19, 45, home.country)
        replay_id = f"{match}-replay"
        office = season.sheet(announced, _OFFICE)
        office.add(FixtureScheduled(match=replay_id, date=again.date(), kickoff=again,
                                    home=home.id, away=away.id, round="Replay",
                                    venue=home.stadium), announced)
        season.put(announced, comp_stream, office.drafts)
        _league_match(season, comp_stream, replay_id, again, home, away, replay=True)


@attrs.frozen
class _Tie:
    id: str
    round: str
    sides: tuple[Club | None, Club | None]
    legs: int


def _cup(season: _Season, ci: int, pool: list[Club]) -> None:
    rng, year = season.rng, season.year
    comp = f"cup{ci + 1:02d}-{year % 100:02d}{(year + 1) % 100:02d}"
    stream = f"competition:{comp}"
    # UEFA dropped away goals from 2021/22; some cups keep older formats (or no extra time)
    away_goals = year < 2021 or ci % 4 == 3
    rules = TieRules(away_goals=away_goals, away_goals_in_extra_time=away_goals,
                     extra_time=ci % 5 != 4)
    host = rng.choice(pool)
    weekday = 1 + ci % 3  # Tuesday, Wednesday or Thursday
    hour, minute = ((21, 0), (18, 45), (20, 0))[ci % 3]

    def day(month: int, dom: int, offset: int = 0) -> dt.date:
        base = dt.date(year + 1, month, dom) + dt.timedelta(days=offset)
        return base + dt.timedelta(days=(weekday - base.weekday()) % 7)

    def office(desk: dt.datetime, events: list[Event]) -> None:
        sheet = season.sheet(desk, _OFFICE)
        for event in events:
            sheet.add(event, desk)
        season.put(desk, stream, sheet.drafts)

    def fixture(match: str, tie: _Tie, leg: int, when: dt.date, home: Club | None,
                away: Club | None) -> FixtureScheduled:
        country = (home or host).country
        kickoff = _kickoff(when, hour, minute, country)
        venue = host.stadium if tie.legs == 1 else home.stadium if home else None
        return FixtureScheduled(match=match, date=when, kickoff=kickoff,
                                home=home.id if home else None, away=away.id if away else None,
                                tie=tie.id, leg=leg if tie.legs == 2 else None,
                                round=tie.round, venue=venue)

    def match_id(tie: _Tie, leg: int) -> str:
        return f"{comp}-{tie.id.lower()}-leg{leg}" if tie.legs == 2 else f"{comp}-final"

    entrants = rng.sample(pool, CUP_TEAMS)
    draw1 = dt.datetime(year, 12, 14, 11, 0, tzinfo=UTC) + dt.timedelta(hours=ci)
    r16 = [_Tie(f"R16-{i + 1}", "R16", (entrants[2 * i], entrants[2 * i + 1]), 2)
           for i in range(8)]
    pairs = [(entrants[2 * i], entrants[2 * i + 1]) for i in range(8)]
    dates = {"R16": (day(2, 14), day(3, 6)), "QF": (day(4, 8), day(4, 15)),
             "SF": (day(4, 29), day(5, 6)), "F": (day(5, 25),)}
    events: list[Event] = [CompetitionCreated(
        competition=comp, name=f"Cup {ci + 1} {_season_label(year)}",
        season=_season_label(year), format=CompetitionFormat.KNOCKOUT, rules=rules)]
    events += [TeamRegistered(team=c.id, name=c.name, country=c.country, aliases=c.aliases)
               for c in entrants]
    events += [TieDrawn(round="R16", tie=t.id, sides=(Side(team=a.id), Side(team=b.id)))
               for t, (a, b) in zip(r16, pairs, strict=True)]
    for t in r16:
        events += [fixture(match_id(t, 1), t, 1, dates["R16"][0], t.sides[0], t.sides[1]),
                   fixture(match_id(t, 2), t, 2, dates["R16"][1], t.sides[1], t.sides[0])]
    office(draw1, events)

    winners: dict[str, tuple[Club, dt.datetime]] = {}

    def play_tie(tie: _Tie) -> None:
        home, away = tie.sides
        assert home is not None and away is not None
        first_leg: TieLeg | None = None
        for leg in range(1, tie.legs + 1):
            when = dates[tie.round][leg - 1]
            f = fixture(match_id(tie, leg), tie, leg, when, home, away)
            assert f.kickoff is not None
            ctx = TieContext(rules=rules, deciding=leg == tie.legs)
            if first_leg is not None:
                ctx = attrs.evolve(ctx, earlier=(first_leg,))
            sheet = season.sheet(f.kickoff, _FEED)
            played = play(rng, sheet, home, away, ctx=ctx, track=True)
            season.put(sheet.last or f.kickoff, f"match:{f.match}", played.drafts)
            assert played.state is not None
            if leg == tie.legs:
                now = TieLeg(home_side=0, played=played.state.played())
                side = decide_tie((*ctx.earlier, now), rules).winner
                assert side is not None, "a cup tie is always decided"
                winner = (home, away)[side]
                winners[tie.id] = (winner, sheet.last or f.kickoff)
            first_leg = TieLeg(home_side=1, played=played.state.played())  # home next: away
            home, away = away, home

    for t in r16:
        play_tie(t)
    # one draw for the rest of the bracket, once the round of 16 is over
    draw2 = dt.datetime(year + 1, 3, 15, 11, 0, tzinfo=UTC) + dt.timedelta(hours=ci)
    order = [t.id for t in r16]
    rng.shuffle(order)
    qf = [_Tie(f"QF-{i + 1}", "QF", (winners[order[2 * i]][0], winners[order[2 * i + 1]][0]), 2)
          for i in range(4)]
    sf = [_Tie(f"SF-{i + 1}", "SF", (None, None), 2) for i in range(2)]
    final = _Tie("F", "F", (None, None), 1)
    feeds = {qf[i].id: (order[2 * i], order[2 * i + 1]) for i in range(4)}
    feeds |= {"SF-1": ("QF-1", "QF-2"), "SF-2": ("QF-3", "QF-4"), "F": ("SF-1", "SF-2")}
    events = [TieDrawn(round=t.round, tie=t.id, legs=t.legs,
                       sides=(Side(winner_of=feeds[t.id][0]), Side(winner_of=feeds[t.id][1])))
              for t in (*qf, *sf, final)]
    for t in qf:
        events += [fixture(match_id(t, 1), t, 1, dates["QF"][0], t.sides[0], t.sides[1]),
                   fixture(match_id(t, 2), t, 2, dates["QF"][1], t.sides[1], t.sides[0])]
    for t in sf:  # dates known, teams not yet
        events += [fixture(match_id(t, 1), t, 1, dates["SF"][0], None, None),
                   fixture(match_id(t, 2), t, 2, dates["SF"][1], None, None)]
    events.append(fixture(match_id(final, 1), final, 1, dates["F"][0], None, None))
    office(draw2, events)
    for t in qf:
        play_tie(t)
    for later in (sf, [final]):
        for t in later:
            a, b = (winners[f] for f in feeds[t.id])
            known = attrs.evolve(t, sides=(a[0], b[0]))
            desk = max(a[1], b[1]) + dt.timedelta(hours=14)
            if t.legs == 2:
                office(desk, [fixture(match_id(t, 1), t, 1, dates[t.round][0], a[0], b[0]),
                              fixture(match_id(t, 2), t, 2, dates[t.round][1], b[0], a[0])])
            else:
                office(desk, [fixture(match_id(t, 1), t, 1, dates["F"][0], a[0], b[0])])
            play_tie(known)


# --- the stream of batches ------------------------------------------------------------------


def seasons(*, events: int, seed: int = 1, recorded: Recorded = "ledger"
            ) -> Iterator[list[Batch]]:
    """The batches of each season in desk order, season after season, without end."""
    plan = plan_for(events)
    world = _clubs(random.Random(f"{seed}:world"), plan.leagues)
    pool = [club for league in world for club in league]
    for year in itertools.count(plan.first_season):
        rng = random.Random(f"{seed}:{year}")
        season = _Season(rng=rng, ids=_Ids(random.Random(f"{seed}:{year}:ids")), year=year,
                         recorded=recorded)
        for li, clubs in enumerate(world):
            _league(season, li, clubs)
        for ci in range(plan.cups):
            _cup(season, ci, pool)
        yield season.sorted()


def generate(*, events: int = 1_000_000, seed: int = 1, recorded: Recorded = "ledger"
             ) -> Iterator[Batch]:
    """Exactly ``events`` events as ``(stream, drafts)`` append batches, in desk order.

    The last batch may be cut short: the ledger ends in the middle of a season, with matches
    live and ties undecided, as a real one does.
    """
    left = events
    for batches in seasons(events=events, seed=seed, recorded=recorded):
        for stream, drafts in batches:
            if left <= 0:
                return
            if len(drafts) > left:
                drafts = drafts[:left]
            left -= len(drafts)
            yield stream, drafts
        if left <= 0:
            return


def flatten(batches: Iterable[Batch]) -> Iterator[tuple[str, Draft]]:
    """(stream, draft) one event at a time."""
    for stream, drafts in batches:
        for draft in drafts:
            yield stream, draft


def chunks(batches: Iterable[Batch], size: int) -> Iterator[list[Batch]]:
    """Transactions of exactly ``size`` events (the last may be short): runs of one stream,
    a stream's batch split across two transactions where the boundary falls inside it."""
    current: list[Batch] = []
    count = 0
    for stream, drafts in batches:
        while drafts:
            room = size - count
            part, drafts = drafts[:room], drafts[room:]
            if current and current[-1][0] == stream:
                current[-1] = (stream, current[-1][1] + part)
            else:
                current.append((stream, part))
            count += len(part)
            if count == size:
                yield current
                current, count = [], 0
    if current:
        yield current


def rows(batches: Iterable[Batch], *, recorded_now: dt.datetime | None = None
         ) -> Iterator[Row]:
    """The rows the ledger stores for these batches (its own encoding, JSON and hash chain),
    for a baseline that inserts the same bytes. ``recorded_at`` of drafts without one is
    ``recorded_now`` (default: now)."""
    now = to_micros(recorded_now or dt.datetime.now(UTC))
    versions: dict[str, int] = {}
    prev = GENESIS
    for position, (stream, draft) in enumerate(flatten(batches), 1):
        version = versions[stream] = versions.get(stream, -1) + 1
        type_name, schema, data = encode(draft.event)
        data_text = dumps_data(data)
        meta_text = dumps(dict(draft.meta)) if draft.meta else None
        occurred = to_micros(draft.occurred_at)
        recorded = to_micros(draft.recorded_at) if draft.recorded_at is not None else now
        digest = chain_hash(prev, position, draft.event_id, stream, version, type_name, schema,
                            occurred, recorded, data_text, meta_text)
        yield (position, draft.event_id, stream, version, type_name, schema, occurred, recorded,
               data_text, meta_text, digest)
        prev = digest


__all__ = ["Batch", "Club", "Plan", "Row", "chunks", "flatten", "generate", "plan_for", "play",
           "rows", "seasons"]

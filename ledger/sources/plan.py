"""From a parsed season to ledger drafts: one competition stream and one stream per match.

The competition stream gets ``CompetitionCreated``, a ``TeamRegistered`` per team (new spellings
become aliases), a ``TieDrawn`` per knockout tie (in round order, so that "winner of" sides
name ties already drawn) and a ``FixtureScheduled`` per match. A played match gets a
``ResultReported``; when the file lists its scorers and they add up to the score, the goals
come first: ``MatchStarted``, ``GoalScored``..., ``MatchEnded``, then the result, which the
ledger checks against them.

Event ids are deterministic (uuid5): the competition and the match identify a fact, and the
fact's content is part of its id. Importing a file again adds nothing; importing a newer
version of it adds only what is new (a result played since); a *changed* fact (a corrected
score) gets a new id and meets the ledger's rules ("a result is already reported"), so it is
refused loudly, never skipped silently.

Times: a kick-off is stored with its UTC offset when the file gives a zone (``UTC+3``,
football.json ``timezone``) or the ``timezone`` option does; otherwise ``kickoff`` is None and
the local time is kept in the fixture's meta. ``occurred_at``: competition facts (creation,
teams, the draw of a round, its fixtures) at 00:00 UTC of the first match date they concern,
or 00:00 of that date in the kick-off's zone when that is earlier (east of UTC), since the
files do not say when draws happened (at the import if that date is to come); goals in the
order they were scored, at kick-off + minute (+15 after half time, +5 more in extra time) +
added time; the end of a match and its result at kick-off + 1h55 (+35 min with extra time),
or a minute after the last goal if that is later, +15 min with a shoot-out; with no kick-off
known, every fact of the match at 23:59 UTC of its date.

    >>> from matchledger.ledger.sources.football_txt import parse_football_txt
    >>> season = parse_football_txt('''= Coppa Italia 2023/24
    ... » Final
    ...   Wed May/15 2024
    ...     21.00  Atalanta  v Juventus  0-1 (0-1)
    ... ''', "coppa.txt")
    >>> plan, summary = plan_import(Registry(), season)
    >>> [(stream, [type(d.event).__name__ for d in drafts]) for stream, drafts in plan]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('competition:coppa-italia-2023-24', ['CompetitionCreated', 'TeamRegistered',
      'TeamRegistered', 'TieDrawn', 'FixtureScheduled']),
     ('match:coppa-italia-2023-24-f', ['ResultReported'])]
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

import attrs

from matchledger.events import (
    Card,
    CardShown,
    CompetitionCreated,
    CompetitionFormat,
    FixtureScheduled,
    GoalKind,
    GoalScored,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    Period,
    PlayerRegistered,
    ResultReported,
    ShootoutKick,
    SubstitutionMade,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.clock import PERIOD_MINUTES, period_of_minute
from matchledger.events.roster import players_named
from matchledger.ledger.codec import encode
from matchledger.ledger.envelope import UTC, Draft
from matchledger.ledger.sources.dates import fixed_offset, parse_zone
from matchledger.ledger.sources.errors import AmbiguousTeam, DuplicateMatches, SourceError
from matchledger.ledger.sources.infer import Fixture, Structure, Tie, default_rules, infer
from matchledger.ledger.sources.model import (
    ImportSummary,
    ParsedMatch,
    ParsedResult,
    ParsedSeason,
    TeamMatch,
)
from matchledger.ledger.sources.names import Resolved, TeamMatcher, close_names, slug
from matchledger.ledger.store import Ledger
from matchledger.ledger.teams import Registry, normalise

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openfootball#matchledger")
PLAY = dt.timedelta(minutes=115)
EXTRA = dt.timedelta(minutes=35)
SHOOTOUT = dt.timedelta(minutes=15)
# the names a competition gives its final: a one-match final is played at a neutral ground
FINALS = {"final", "f", "finale", "finals"}
STOPPAGE = 30  # the most stoppage time a line-up's minute past the end of play is read as

Plan = list[tuple[str, list[Draft]]]


def event_id(*parts: Any) -> str:
    """A deterministic event id from what identifies a fact (and its content)."""
    text = "|".join(json.dumps(p, sort_keys=True, default=str) for p in parts)
    return str(uuid.uuid5(NAMESPACE, text))


def plan_import(
    target: Ledger | Registry,
    parsed: ParsedSeason,
    *,
    rules: TieRules | None = None,
    aliases: Mapping[str, str] | None = None,
    competition: str | None = None,
    name: str | None = None,
    timezone: str | None = None,
    round_kinds: Mapping[str, str] | None = None,
    allow_duplicates: bool = False,
) -> tuple[Plan, ImportSummary]:
    """The drafts to append, stream by stream, and a summary of what they hold and assume.

    ``target`` is the ledger (its registry and existing competitions are read) or a bare
    Registry. ``rules`` overrides the competition's tie rules (default: UEFA seasons before
    2021/22 count away goals, everything else does not); ``aliases`` maps names as written to
    team ids; ``competition``/``name`` override the id and name taken from the title;
    ``timezone`` (``UTC+1``, ``Europe/Berlin``) is the zone of kick-off times that have none;
    ``round_kinds`` forces a round to "league" or "knockout". A match the ledger already holds
    under another id (same date, same home and away teams: the same file imported as another
    competition, or another source for the same season) is refused, since records and streaks
    would count it twice, unless ``allow_duplicates``.
    """
    if not parsed.matches:
        raise SourceError(f"{parsed.source}: no matches found")
    parsed = _unplayed_left_out(parsed)
    registry = target.registry() if isinstance(target, Ledger) else target
    resolved = TeamMatcher(registry, dict(aliases or {})).resolve(
        ((n, c) for m in parsed.matches for n, c in ((m.team1, m.country1),
                                                      (m.team2, m.country2))),
        parsed.source)
    _spelt_twice(parsed, resolved)
    teams = [_pair(m, resolved) for m in parsed.matches]
    if isinstance(target, Ledger) and len(parsed.matches) == 1 \
            and parsed.matches[0].timeline is not None:
        found = _scheduled(target, parsed.matches[0].date, *teams[0])
        if found is not None:  # a match the ledger expects: its events go there
            return _into_fixture(target, parsed, resolved, registry, *found,
                                 zone=_zone(timezone))
    setup = _setup(target, parsed, rules, competition, name)
    structure = infer(parsed, teams, setup.created.rules, round_kinds)
    setup = setup.fitted(structure.format)
    builder = _Builder(comp=setup.comp, parsed=parsed, structure=structure,
                       zone=_zone(timezone))
    builder.assign_match_ids()
    if isinstance(target, Ledger):
        _duplicates(target, builder, allow_duplicates)
    plan = builder.build(setup.created, resolved, registry,
                         setup.notes + list(structure.notes))
    if isinstance(target, Ledger) and any(m.timeline is not None for m in parsed.matches):
        _not_twice(target, parsed, plan)
    return plan, _summary(parsed, setup, structure, resolved, registry, builder)


def _scheduled(ledger: Ledger, date: dt.date, home: str, away: str
               ) -> tuple[str, FixtureScheduled] | None:
    """(competition, fixture) of the match the ledger has scheduled for ``date`` between
    ``home`` and ``away`` (as last scheduled), or None."""
    latest: dict[str, tuple[str, FixtureScheduled]] = {}
    for env in ledger.read(types=["FixtureScheduled"]):
        if isinstance(env.event, FixtureScheduled):
            latest[env.event.match] = (env.stream_id, env.event)
    for comp, fx in latest.values():
        if (fx.date, fx.home, fx.away) == (date, home, away):
            return comp, fx
    return None


def _into_fixture(ledger: Ledger, parsed: ParsedSeason, resolved: Mapping[str, Resolved],
                  registry: Registry, comp: str, fixture: FixtureScheduled, *,
                  zone: dt.tzinfo | None) -> tuple[Plan, ImportSummary]:
    """The plan of an event-data match the ledger has scheduled already (in a competition,
    maybe in a tie): its players into that competition, its events into that match."""
    m = parsed.matches[0]
    assert fixture.home is not None and fixture.away is not None
    created = _existing_competition(ledger, comp)
    if created is None:
        raise SourceError(f"{parsed.source}: match {fixture.match} is scheduled in "
                          f"competition {comp}, which was never created")
    f = Fixture(index=0, match=m, home=fixture.home, away=fixture.away,
                round=fixture.round or m.round, kind="knockout" if fixture.tie else "league",
                tie=fixture.tie, leg=fixture.leg)
    note = (f"the match is {fixture.match} of {comp}, scheduled there for {fixture.date} "
            f"({fixture.home} v {fixture.away}{f', tie {fixture.tie}' if fixture.tie else ''})")
    structure = Structure(format=created.format, fixtures=(f,), ties=(), notes=(note,),
                          warnings=())
    builder = _Builder(comp=comp, parsed=parsed, structure=structure, zone=zone)
    builder.match_ids[0] = fixture.match
    if fixture.kickoff is not None:
        builder.kickoffs[0] = fixture.kickoff
    events = builder._match_events(f)
    plan: Plan = [(f"competition:{comp}", builder._players(builder._day_start(m), registry,
                                                           events)),
                  (f"match:{fixture.match}", events)]
    _not_twice(ledger, parsed, plan)
    setup = _Setup(comp, created, [], existing=True)
    return plan, _summary(parsed, setup, structure, resolved, registry, builder)


def _not_twice(ledger: Ledger, parsed: ParsedSeason, plan: Plan) -> None:
    """Refuse event data for a match whose stream holds events from elsewhere (a result
    reported, a match typed live, another version of the file): they would count twice."""
    for stream, drafts in plan:
        if not stream.startswith("match:"):
            continue
        mine = {d.event_id for d in drafts}
        other = [env for env in ledger.read(stream=stream) if env.event_id not in mine]
        if other:
            source = other[0].meta.get("source") or "typed in"
            raise SourceError(f"{parsed.source}: {stream} holds {len(other)} event(s) "
                              f"already, not from this file ({source}): its event data would "
                              "count them twice (retract them first)")


@attrs.frozen
class _Setup:
    comp: str
    created: CompetitionCreated  # as it is in the ledger, or as it will be
    notes: list[str]
    existing: bool = False

    def fitted(self, fmt: CompetitionFormat) -> _Setup:
        """A new competition takes the format inferred; one in the ledger keeps its own."""
        if not self.existing:
            return attrs.evolve(self, created=attrs.evolve(self.created, format=fmt))
        if self.created.format != fmt:
            self.notes.append(f"competition {self.comp} exists as "
                              f"{self.created.format.value}; kept")
        return self


def _setup(target: Ledger | Registry, parsed: ParsedSeason, rules: TieRules | None,
           competition: str | None, name: str | None) -> _Setup:
    """The competition the file goes into: id, name, season, format and tie rules."""
    comp_name = name or parsed.name or PurePath(parsed.source).stem
    season = parsed.season
    if not season:
        raise SourceError(f"{parsed.source}: no season in the title or the path: give one "
                          "(e.g. 2023/24)")
    comp = competition or slug(f"{comp_name} {season}")
    notes = list(parsed.notes)
    if rules is None:
        rules, rules_note = default_rules(comp_name, season)
        notes += [rules_note] if rules_note else []
    existing = _existing_competition(target, comp) if isinstance(target, Ledger) else None
    if existing is None:  # the format is set once the structure is known
        return _Setup(comp, CompetitionCreated(competition=comp, name=comp_name, season=season,
                                               format=CompetitionFormat.MIXED, rules=rules),
                      notes)
    if existing.rules != rules:
        raise SourceError(f"{parsed.source}: competition {comp!r} exists with other tie rules "
                          f"({existing.rules}); import with those rules or another id")
    return _Setup(comp, existing, notes, existing=True)


def _existing_competition(ledger: Ledger, comp: str) -> CompetitionCreated | None:
    for env in ledger.read(stream=f"competition:{comp}", types=["CompetitionCreated"], limit=1):
        if isinstance(env.event, CompetitionCreated):
            return env.event
    return None


def _duplicates(ledger: Ledger, builder: _Builder, allowed: bool) -> None:
    """Refuse (or, when allowed, warn of) matches the ledger holds under another match id."""
    known: dict[tuple[dt.date, str | None, str | None], dict[str, str]] = {}
    for env in ledger.read(types=["FixtureScheduled"]):
        fx = env.event
        if isinstance(fx, FixtureScheduled):  # a day may have the same match twice
            known.setdefault((fx.date, fx.home, fx.away), {})[fx.match] = env.stream_id
    twice = []
    for f in builder.structure.fixtures:
        hits = known.get((f.match.date, f.home, f.away), {})
        if hits and builder.match_ids[f.index] not in hits:
            match, stream = next(iter(hits.items()))
            twice.append(f"{f.match.where}: {f.home} v {f.away} on {f.match.date} is match "
                         f"{match} of {stream}")
    if twice and not allowed:
        raise DuplicateMatches(f"{len(twice)} match(es) of {builder.parsed.source} are in the "
                               f"ledger already under other ids ({twice[0]}"
                               f"{', ...' if len(twice) > 1 else ''}): importing them again "
                               "would count them twice")
    builder.warnings += [f"recorded twice: {t}" for t in twice]


def _unplayed_left_out(parsed: ParsedSeason) -> ParsedSeason:
    """The season without its matches cancelled or postponed, said in its notes: a fixture
    that will never be played (or is played on another line of the file) would hold a tie
    open, or make two legs of one match."""
    off = [m for m in parsed.matches if m.status in ("cancelled", "postponed")]
    if not off:
        return parsed
    kept = tuple(m for m in parsed.matches if m not in off)
    if not kept:
        raise SourceError(f"{parsed.source}: no match played or to play: all are "
                          "cancelled or postponed")
    where = ", ".join(f"{m.where} {m.status}" for m in off)
    note = f"{len(off)} match(es) not scheduled: {where}"
    return attrs.evolve(parsed, matches=kept, notes=(*parsed.notes, note))


def _spelt_twice(parsed: ParsedSeason, resolved: Mapping[str, Resolved]) -> None:
    """Refuse two new teams of one file whose names are close ("Alpha", "Alpha Rotterdam")
    unless the file tells them apart (they meet, or both play in one round): one club spelt
    two ways would split its record in two. An alias for either settles it."""
    new = {r.team: r for r in resolved.values() if r.how == "new"}
    plays: dict[str, set[str]] = {team: set() for team in new}
    for m in parsed.matches:
        a, b = resolved[m.team1].team, resolved[m.team2].team
        occasion = f"{m.stage}|{m.group}|{m.round}" if m.round else m.date.isoformat()
        for team, other in ((a, b), (b, a)):
            if team in plays:
                plays[team] |= {occasion, f"v {other}"}
    problems = []
    teams = list(new)
    for i, first in enumerate(teams):
        for second in teams[i + 1:]:
            one, two = new[first], new[second]
            if not close_names(one.name, two.name) or plays[first] & plays[second] \
                    or f"v {second}" in plays[first]:
                continue
            problems.append(f"{two.name!r} and {one.name!r} may be one club spelt two ways "
                            f"(use '{two.name}={first}' for one club, or "
                            f"'{two.name}={second}' for two)")
    if problems:
        raise AmbiguousTeam(parsed.source, problems)


def _pair(m: ParsedMatch, resolved: Mapping[str, Resolved]) -> tuple[str, str]:
    home, away = resolved[m.team1].team, resolved[m.team2].team
    if home == away:
        raise SourceError(f"{m.where}: {m.team1!r} and {m.team2!r} are one team ({home}): "
                          "settle it with an alias")
    return home, away


def _zone(timezone: str | None) -> dt.tzinfo | None:
    if timezone is None:
        return None
    try:
        return parse_zone(timezone)
    except ValueError as e:
        raise SourceError(str(e)) from e


@attrs.define
class _Builder:
    comp: str
    parsed: ParsedSeason
    structure: Structure
    zone: dt.tzinfo | None
    goals: int = 0
    players: int = 0
    cards: int = 0
    substitutions: int = 0
    warnings: list[str] = attrs.field(factory=list)
    match_ids: dict[int, str] = attrs.field(factory=dict)
    kickoffs: dict[int, dt.datetime] = attrs.field(factory=dict)  # as the ledger has them

    def build(self, created: CompetitionCreated, resolved: Mapping[str, Resolved],
              registry: Registry, notes: list[str]) -> Plan:
        source = self.parsed.source
        first = min(self._day_start(m) for m in self.parsed.matches)
        meta: dict[str, Any] = {"source": source, "importer": self.parsed.format}
        if notes:
            meta["inferred"] = notes
        drafts = [Draft(event=created, occurred_at=first, meta=meta,
                        event_id=event_id(self.comp, "created"))]
        matches = [(f, self._match_events(f)) for f in self.structure.fixtures]
        drafts += self._teams(resolved, registry, first)
        drafts += self._players(first, registry, [d for _, ds in matches for d in ds])
        starts = self._round_starts()
        drafts += [self._tie(t, starts[t.round]) for t in self.structure.ties]
        drafts += [self._fixture(f, starts[f.round]) for f in self.structure.fixtures]
        plan: Plan = [(f"competition:{self.comp}", drafts)]
        plan += [(f"match:{self.match_ids[f.index]}", events) for f, events in matches if events]
        return plan

    # --- the competition stream ---------------------------------------------------------------

    def _teams(self, resolved: Mapping[str, Resolved], registry: Registry,
               when: dt.datetime) -> list[Draft]:
        by_team: dict[str, list[Resolved]] = {}
        for r in resolved.values():
            by_team.setdefault(r.team, []).append(r)
        drafts = []
        for team, found in by_team.items():
            entry = registry.teams.get(team)
            known = {entry.name, *entry.aliases} if entry else set()
            display = found[0].display
            aliases = tuple(dict.fromkeys(
                r.name for r in found
                if r.alias and r.name != display and r.name not in known
                and registry.team_names.get(normalise(r.name)) in (None, team)))
            country = next((r.country for r in found if r.country), None)
            event = TeamRegistered(team=team, name=display, country=country, aliases=aliases)
            drafts.append(Draft(event=event, occurred_at=when,
                                event_id=event_id(self.comp, "team", team),
                                meta={"source": self.parsed.source,
                                      "spellings": [r.name for r in found],
                                      "matched": sorted({r.how for r in found})}))
        return drafts

    def _players(self, when: dt.datetime, registry: Registry, plays: Sequence[Draft]
                 ) -> list[Draft]:
        """A ``PlayerRegistered`` for each player a line-up names, once per team; and for
        each other player ``plays`` (the match events) name for a team with a roster in the
        competition, from the line-ups or registered before: the file names him for that
        team, and the judge admits for a team with a roster only the players on it."""
        seen: dict[tuple[str, str], str] = {}
        for f in self.structure.fixtures:
            for lineup in f.match.lineups:
                team = (f.home, f.away)[lineup.side]
                for player in lineup.players:
                    seen.setdefault((team, player), lineup.where)
        self.players = len(seen)  # a line-up's
        on_roster = {(team, normalise(player)) for team, player in seen}
        for rostered, roster in registry.rosters_in(self.comp).items():
            on_roster |= {(rostered, spelling) for spelling in roster.spellings}
        with_roster = {team for team, _ in on_roster}
        for draft in plays:
            side = getattr(draft.event, "team", None)
            if side not in with_roster:
                continue
            for player in players_named(draft.event).values():
                player = registry.resolve_player(side, player)
                if (side, normalise(player)) not in on_roster:
                    on_roster.add((side, normalise(player)))
                    seen.setdefault((side, player),
                                    str(draft.meta.get("source") or self.parsed.source))
        return [Draft(event=PlayerRegistered(team=team, name=player), occurred_at=when,
                      meta={"source": where},
                      event_id=event_id(self.comp, "player", team, player))
                for (team, player), where in seen.items()]

    def _round_starts(self) -> dict[str, dt.datetime]:
        starts: dict[str, dt.datetime] = {}
        for f in self.structure.fixtures:
            start = self._day_start(f.match)
            starts[f.round] = min(starts.get(f.round, start), start)
        return starts

    def _day_start(self, m: ParsedMatch) -> dt.datetime:
        """When the facts a match needs are dated: 00:00 UTC of its date, or 00:00 of its date
        where it kicks off if that is earlier (a 10:00 UTC+11 kick-off is at 23:00 UTC the day
        before), or now if that is still to come: a fixture of a round not played yet is known
        now, and the ledger records only what has happened."""
        start = dt.datetime.combine(m.date, dt.time(0, 0), tzinfo=UTC)
        kickoff = self._kickoff(m)
        if kickoff is not None:
            local = dt.datetime.combine(m.date, dt.time(0, 0), tzinfo=kickoff.tzinfo)
            start = min(start, local.astimezone(UTC))
        return min(start, dt.datetime.now(UTC))

    def _tie(self, tie: Tie, when: dt.datetime) -> Draft:
        event = TieDrawn(round=tie.round, tie=tie.id, sides=tie.sides, legs=tie.legs)
        where = ", ".join(self.parsed.matches[i].where for i in tie.fixtures)
        meta: dict[str, Any] = {"source": where, "inferred": tie.note}
        links = [f"side {n} is the winner of {s.winner_of}" for n, s in enumerate(tie.sides)
                 if s.winner_of]
        if links:
            meta["winner_of"] = "; ".join(links) + " (inferred from the earlier round)"
        return Draft(event=event, occurred_at=when, meta=meta,
                     event_id=event_id(self.comp, "tie", *encode(event)))

    def assign_match_ids(self) -> None:
        """``{comp}-{tie}[-leg{n}]`` for ties, ``{comp}-{round}-{home}-{away}`` otherwise."""
        taken: set[str] = set()
        for f in self.structure.fixtures:
            if f.tie is not None:
                base = f"{self.comp}-{f.tie.lower()}" + (f"-leg{f.leg}" if f.leg else "")
            else:
                base = f"{self.comp}-{slug(f.round)}-{f.home}-{f.away}"
            ident = base if base not in taken else f"{base}-{f.match.date:%Y%m%d}"
            n = 2
            while ident in taken:
                ident, n = f"{base}-{n}", n + 1
            taken.add(ident)
            self.match_ids[f.index] = ident

    def _neutral(self, f: Fixture) -> bool:
        """Whether ``f`` is a one-match final (its round named a final, its tie one leg),
        which a cup or a tournament plays at a neutral ground."""
        tie = next((t for t in self.structure.ties if t.id == f.tie), None)
        return (tie is not None and tie.legs == 1
                and (f.round or "").strip().casefold() in FINALS)

    def _fixture(self, f: Fixture, when: dt.datetime) -> Draft:
        m = f.match
        kickoff = self._kickoff(m)
        event = FixtureScheduled(match=self.match_ids[f.index], date=m.date, kickoff=kickoff,
                                 home=f.home, away=f.away, tie=f.tie, leg=f.leg, round=f.round,
                                 venue=m.venue, neutral=self._neutral(f))
        meta: dict[str, Any] = {"source": m.where}
        if m.round and m.round != f.round:
            meta["round"] = m.round
        if m.time is not None and kickoff is None:
            meta["local_time"] = m.time.strftime("%H:%M")
        if m.number is not None:
            meta["number"] = m.number
        if f.group_inferred:
            meta["inferred"] = f"{f.round} inferred from who played whom"
        return Draft(event=event, occurred_at=when, meta=meta,
                     event_id=event_id(self.comp, "fixture", *encode(event)))

    def _kickoff(self, m: ParsedMatch) -> dt.datetime | None:
        if m.time is None:
            return None
        if m.utc_offset is not None:
            tz: dt.tzinfo = dt.timezone(m.utc_offset)
        elif self.zone is not None:
            tz = fixed_offset(self.zone, m.date, m.time)
        else:
            return None
        return dt.datetime.combine(m.date, m.time, tzinfo=tz)

    # --- match streams ------------------------------------------------------------------------

    def _match_events(self, f: Fixture) -> list[Draft]:
        m, result = f.match, f.match.result
        match = self.match_ids[f.index]
        kickoff = self.kickoffs.get(f.index) or self._kickoff(m)
        for lineup in m.lineups if result is None else ():
            if m.status != "abandoned":
                raise SourceError(f"{lineup.where}: a line-up of a match not played "
                                  f"({m.status or 'no result'})")
            self.warnings.append(f"{lineup.where}: a line-up of an abandoned match: left out")
        if m.status == "abandoned":  # "abd.": play stopped, and no result stands
            end = _day_end(m.date) if kickoff is None else kickoff + PLAY
            return [Draft(event=MatchStarted(), occurred_at=kickoff or end,
                          meta={"source": m.where}, event_id=event_id(match, "started")),
                    Draft(event=MatchAbandoned(reason="abandoned, as the file says"),
                          occurred_at=end, meta={"source": m.where},
                          event_id=event_id(match, "abandoned"))]
        if result is None:
            return []
        if m.timeline is not None:
            return self._timeline_events(f, match, kickoff, result)
        plays = self._usable_goals(f) + self._lineup_events(f)
        plays.sort(key=lambda play: _pitch_order(play[2]))
        times, end = _timeline(kickoff, m.date, result, [play for _, _, play in plays])
        meta: dict[str, Any] = {"source": m.where}
        drafts: list[Draft] = []
        if plays:
            start = kickoff or end
            drafts.append(Draft(event=MatchStarted(), occurred_at=start, meta=meta,
                                event_id=event_id(match, "started")))
            # n is a fact's place in the file, as it was before goals were put in the
            # order they were scored: the ids of files imported then stay the same
            for (where, n, play), at in zip(plays, times, strict=True):
                kind = "goal" if isinstance(play, GoalScored) else type(play).__name__
                drafts.append(Draft(event=play, occurred_at=at, meta={"source": where},
                                    event_id=event_id(match, kind, n, *encode(play))))
            drafts.append(Draft(event=MatchEnded(), occurred_at=end, meta=meta,
                                event_id=event_id(match, "ended")))
            kinds = [type(play) for _, _, play in plays]
            self.goals += kinds.count(GoalScored)
            self.cards += kinds.count(CardShown)
            self.substitutions += kinds.count(SubstitutionMade)
        reported = ResultReported(full_time=result.full_time, half_time=result.half_time,
                                  extra_time=result.extra_time, penalties=result.penalties,
                                  source=m.where)
        # the id leaves out where the file was read from: the same file by another path is
        # the same result, and importing it again adds nothing
        unsourced = attrs.evolve(reported, source=None)
        drafts.append(Draft(event=reported, occurred_at=end,
                            meta={**meta, "status": m.status} if m.status else meta,
                            event_id=event_id(match, "result", *encode(unsourced))))
        return drafts

    def _timeline_events(self, f: Fixture, match: str, kickoff: dt.datetime | None,
                         result: ParsedResult) -> list[Draft]:
        """An event-data match as it was played: every fact at kick-off + its period's start
        + its clock, the provider's id in its meta and in its own (with what it says: a
        changed fact is refused by the rules, never skipped)."""
        m, teams = f.match, (f.home, f.away)
        assert m.timeline is not None
        if kickoff is None:
            kickoff = dt.datetime.combine(m.date, m.time or dt.time(0, 0), tzinfo=UTC)
            self.warnings.append(f"{m.where}: kick-off {kickoff:%H:%M} read as UTC (the file "
                                 "gives local time without its zone: --timezone sets it)")
        meta: dict[str, Any] = {"source": m.where, "importer": self.parsed.format}
        if m.provider_match:
            meta["provider_match"] = m.provider_match
        drafts = [Draft(event=MatchStarted(), occurred_at=kickoff, meta=meta,
                        event_id=event_id(match, "started"))]
        last = kickoff
        for play in sorted(m.timeline, key=lambda p: (p.at, p.order)):
            event = play.event
            if play.side is not None and isinstance(event, (GoalScored, CardShown,
                                                            SubstitutionMade, ShootoutKick)):
                event = attrs.evolve(event, team=teams[play.side])
            last = kickoff + play.at
            facts: dict[str, Any] = {"source": m.where, "provider_id": play.provider_id}
            if play.note:
                facts["provider_note"] = play.note
            drafts.append(Draft(event=event, occurred_at=last, meta=facts,
                                event_id=event_id(match, play.provider_id, *encode(event))))
        kinds = [type(p.event) for p in m.timeline]
        self.goals += kinds.count(GoalScored)
        self.cards += kinds.count(CardShown)
        self.substitutions += kinds.count(SubstitutionMade)
        reported = ResultReported(full_time=result.full_time, half_time=result.half_time,
                                  extra_time=result.extra_time, penalties=result.penalties)
        drafts += [Draft(event=MatchEnded(), occurred_at=last, meta=meta,
                         event_id=event_id(match, "ended")),
                   Draft(event=reported, occurred_at=last, meta=meta,
                         event_id=event_id(match, "result", *encode(reported)))]
        return drafts

    def _lineup_events(self, f: Fixture) -> list[tuple[str, int, Play]]:
        """The cards and substitutions of the line-ups, each with its line and its place."""
        m, result = f.match, f.match.result
        teams = (f.home, f.away)
        plays: list[tuple[str, int, Play]] = []
        assert result is not None
        for lineup in m.lineups:
            team = teams[lineup.side]
            events: list[CardShown | SubstitutionMade] = [
                CardShown(team=team, player=c.player, card=Card(c.card), minute=c.minute,
                          added=c.added) for c in lineup.cards]
            events += [SubstitutionMade(team=team, player_off=s.player_off,
                                        player_on=s.player_on, minute=s.minute,
                                        added=s.added) for s in lineup.substitutions]
            for event in events:
                plays.append((lineup.where, len(plays), self._in_play(event, result,
                                                                       lineup.where)))
        return plays

    def _in_play(self, event: CardShown | SubstitutionMade, result: ParsedResult,
                 where: str) -> CardShown | SubstitutionMade:
        """``event`` with a minute past the last of play read as stoppage time (91' of a
        match without extra time is 90+1, said in a warning); one the match has no room for
        refused."""
        minute, last = event.minute, 120 if result.extra_time is not None else 90
        if minute is None or 1 <= minute <= last:
            return event
        if minute < 1 or event.added is not None or minute > last + STOPPAGE:
            raise SourceError(f"{where}: minute {minute} of a card or substitution is outside "
                              f"1-{last}")
        self.warnings.append(f"{where}: minute {minute} read as {last}+{minute - last} "
                             f"(stoppage time: the match ended after {last})")
        return attrs.evolve(event, minute=last, added=minute - last)

    def _usable_goals(self, f: Fixture) -> list[tuple[str, int, Play]]:
        """The scorers as goals, each with its line and its place in the file; none (with a
        warning) when they do not fit the result."""
        m, result = f.match, f.match.result
        if not m.goals or result is None:
            return []
        problem, mismatch = _goals_problem(m)
        where = m.goals_where or m.where
        if problem:
            self.warnings.append(f"{where}: {problem}: scorers left out, the result kept")
            return []
        if mismatch:
            self.warnings.append(f"{where}: {mismatch}: the file contradicts itself; both kept")
        teams = (f.home, f.away)
        return [(where, n, GoalScored(
                    team=teams[1 - g.side] if g.own_goal else teams[g.side], player=g.player,
                    minute=g.minute, added=g.added,
                    kind=(GoalKind.OWN_GOAL if g.own_goal else
                          GoalKind.PENALTY if g.penalty else GoalKind.OPEN_PLAY)))
                for n, g in enumerate(m.goals)]


def _goals_problem(m: ParsedMatch) -> tuple[str | None, str | None]:
    """(why the scorers cannot be recorded, how they contradict the half or full time)."""
    goals, result = m.goals or (), m.result
    assert result is not None
    counted = [0, 0]
    for g in goals:
        counted[g.side] += 1
    final = result.final
    if tuple(counted) != final:
        return (f"scorers add up to {counted[0]}-{counted[1]}, the score is "
                f"{final[0]}-{final[1]}"), None
    minutes = [g.minute for g in goals if g.minute is not None]
    if any(not 1 <= minute <= 120 for minute in minutes):
        return "a scorer's minute is outside 1-120", None
    if any(minute > 90 for minute in minutes) and result.extra_time is None:
        return "a goal after minute 90 in a match without extra time", None
    if len(minutes) < len(goals):
        return None, None
    for limit, score, label in ((90, result.full_time, "full time"),
                                (45, result.half_time, "half time")):
        upto = [0, 0]
        for g in goals:
            if (g.minute or 0) <= limit:
                upto[g.side] += 1
        if score is not None and tuple(upto) != score:
            return None, (f"scorers up to minute {limit} add up to {upto[0]}-{upto[1]}, "
                          f"{label} was {score[0]}-{score[1]}")
    return None, None


# minutes of pause before each period's first minute: half time, then before extra time
_BREAK = {Period.FIRST_HALF: 0, Period.SECOND_HALF: 15, Period.EXTRA_FIRST: 20,
          Period.EXTRA_SECOND: 20}
_WHISTLE = dt.timedelta(minutes=1)  # the least time from the last goal to the end of play


Play = GoalScored | CardShown | SubstitutionMade  # what happens on the pitch, with a minute


def _pitch_order(play: Play) -> tuple[int, int, int]:
    """45+2 comes before 46, 90+12 before 91; a card without a minute before everything (a
    [Y/R] line-up card is a yellow of no minute, then the second), but a second yellow, and
    a goal, without a minute after all the others."""
    if play.minute is None:
        first = isinstance(play, CardShown) and play.card is not Card.SECOND_YELLOW
        return (0 if first else 2), 0, 0
    return 1, play.minute, play.added or 0


def _timeline(kickoff: dt.datetime | None, date: dt.date, result: ParsedResult,
              goals: list[Play]) -> tuple[list[dt.datetime], dt.datetime]:
    """When each goal, card or substitution (in pitch order) happened, and when the match
    ended.

    A goal at kick-off + minute (+15 after half time, +5 more in extra time) + added time; a
    goal of a period comes at least a minute after the last goal of the periods before it
    (90+11 pushes extra time back). Play ends 1h55 after kick-off (2h30 with extra time), or a
    minute after the last goal if that is later; a shoot-out takes 15 minutes more. A goal
    without a minute is timed at the end of play; without a kick-off, all at 23:59 UTC.
    """
    if kickoff is None:
        end = _day_end(date)
        return [end] * len(goals), end
    times: list[dt.datetime | None] = []
    delay = dt.timedelta(0)  # how far stoppage time has pushed back the period under way
    period, latest = Period.FIRST_HALF, kickoff
    for goal in goals:
        if goal.minute is None:
            times.append(None)
            continue
        now = period_of_minute(goal.minute) or Period.EXTRA_SECOND
        if now != period:  # its first minute ends at least a minute after the last goal
            start = kickoff + delay + dt.timedelta(minutes=PERIOD_MINUTES[now][0] + _BREAK[now])
            delay += max(dt.timedelta(0), latest + _WHISTLE - start)
            period = now
        elapsed = goal.minute + _BREAK[now] + (goal.added or 0)
        latest = kickoff + delay + dt.timedelta(minutes=elapsed)
        times.append(latest)
    play = PLAY + (EXTRA if result.extra_time else dt.timedelta(0))
    end = max(kickoff + play, latest + _WHISTLE)
    shootout = SHOOTOUT if result.penalties else dt.timedelta(0)
    return [end if t is None else t for t in times], end + shootout


def _day_end(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(23, 59), tzinfo=UTC)


def _summary(parsed: ParsedSeason, setup: _Setup, structure: Structure,
             resolved: Mapping[str, Resolved], registry: Registry,
             builder: _Builder) -> ImportSummary:
    new = tuple(dict.fromkeys(r.team for r in resolved.values() if r.team not in registry.teams))
    matched = tuple(TeamMatch(name=r.name, team=r.team, how=r.how) for r in resolved.values()
                    if r.how != "new" and not (r.how == "alias map" and r.team in new))
    created = setup.created
    return ImportSummary(
        source=parsed.source, format=parsed.format, competition=setup.comp, name=created.name,
        season=created.season, structure=structure.format.value, matches=len(parsed.matches),
        results=sum(1 for m in parsed.matches if m.result is not None), goals=builder.goals,
        teams_new=new, teams_matched=matched, ties=len(structure.ties),
        inferred=tuple(setup.notes) + structure.notes,
        warnings=structure.warnings + tuple(builder.warnings), line_kinds=parsed.lines,
        players=builder.players, cards=builder.cards, substitutions=builder.substitutions)


__all__ = ["NAMESPACE", "Plan", "event_id", "plan_import"]

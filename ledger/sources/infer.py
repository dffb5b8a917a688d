"""The structure a file leaves unsaid: league or knockout, groups, ties, legs, who went through.

Rounds are classified by name and shape: groups (``Group A``) and matchday rounds are league
rounds; ``Round of 16``, ``Quarterfinals``, ``Final``, ``Playoffs`` (and ``Round 1`` of a cup)
are knockout rounds. A "knockout" round in which a team meets several opponents is a round
robin, hence a league round. Group-stage matchdays without group names (``== Group`` /
``Matchday 1``) get groups from who played whom.

In a knockout round, the matches of the same two clubs form a tie: two matches are a
two-legged tie (legs by date) or, in a round of single matches where the first one was drawn,
a match and its replay (also two legs: the aggregate then equals the replay's result); one
match is a one-match tie, or the first leg of a two-legged one when the round says so
("1st Leg") or its other ties have two legs. A tie's winner follows ``TieRules``: aggregate
after 90 minutes, away goals (when on), extra time (away goals again when on), penalties. A
side of a later round is *the winner of* the tie it won in an earlier round.

    >>> r = ParsedResult
    >>> decide([("milan", "roma", r(full_time=(0, 1))), ("roma", "milan", r(full_time=(2, 1)))],
    ...        ("milan", "roma"), 2, TieRules())
    ('roma', 'aggregate', (1, 3))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import attrs

from matchledger.events import CompetitionFormat, Side, TieRules
from matchledger.events.tie import Played, TieLeg, decide_tie, home_side, tie_aggregate
from matchledger.ledger.sources.errors import SourceError
from matchledger.ledger.sources.model import ParsedMatch, ParsedResult, ParsedSeason, Score

LEAGUE, GROUP, KNOCKOUT = "league", "group", "knockout"

_KNOCKOUT = re.compile(
    r"final|semi|quarter|round of \d|last \d|1/\d|play-?off|knock-?out|third place|"
    r"3rd place|achtel|viertel|halb|replay|qualif|preliminary|eighth|decider", re.I)
_LEAGUE = re.compile(r"matchday|match day|spieltag|jornada|giornata|journ[ée]e|speeltag|week|"
                     r"runde|round\s*\d+\b", re.I)
_ROUND_N = re.compile(r"^\s*round\s*\d+\s*$", re.I)
_CUP = re.compile(r"\b(cup|pokal|copa|coupe|coppa|ta[cç]a|trophy|shield|beker|trofeo|kup|"
                  r"puchar|champions league|europa league|conference league|libertadores|"
                  r"sudamericana)\b", re.I)
_UEFA = re.compile(r"uefa|champions league|europa league|conference league|cup winners|"
                   r"european cup|champion clubs|fairs cup", re.I)
_LEG = re.compile(
    r"\s*[-,–:(]?\s*(?:(?P<n>1st|2nd|first|second)\s*legs?|legs?\s*(?P<n2>[12])|"
    r"(?P<de>hin|rück|rueck)spiele?|(?P<replay>replays?))\s*\)?\s*$", re.I)


@attrs.frozen(kw_only=True)
class Fixture:
    """A match of the file as the ledger will hold it."""

    index: int  # position in ParsedSeason.matches
    match: ParsedMatch
    home: str
    away: str
    round: str  # FixtureScheduled.round: "Group A", "Matchday 5", "Quarterfinals"
    kind: str  # LEAGUE, GROUP or KNOCKOUT
    group_inferred: bool = False
    tie: str | None = None
    leg: int | None = None


@attrs.frozen(kw_only=True)
class Tie:
    id: str
    round: str
    sides: tuple[Side, Side]
    teams: tuple[str, str]  # (home in the first leg, away in it)
    legs: int
    fixtures: tuple[int, ...]  # indexes of its matches, in leg order
    note: str
    winner: str | None
    how: str | None
    aggregate: Score | None
    replay: bool = False


@attrs.frozen(kw_only=True)
class Structure:
    format: CompetitionFormat
    fixtures: tuple[Fixture, ...]  # in file order
    ties: tuple[Tie, ...]  # round by round, in playing order
    notes: tuple[str, ...]
    warnings: tuple[str, ...]


def default_rules(name: str, season: str) -> tuple[TieRules, str | None]:
    """UEFA ties counted away goals (in extra time too) from 1965/66 until 2020/21."""
    start = int(season[:4]) if season[:4].isdigit() else None
    if _UEFA.search(name) and start is not None and 1965 <= start < 2021:
        return (TieRules(away_goals=True, away_goals_in_extra_time=True),
                f"away goals rule on (extra time included): a UEFA season ({season}) before "
                "2021/22")
    return TieRules(), None


def split_leg(label: str) -> tuple[str, int | None, bool]:
    """("Round of 16", 1, False) from "Round of 16 - 1st Leg"; replay flagged."""
    m = _LEG.search(label)
    if m is None:
        return label.strip(), None, False
    base = label[: m.start()].strip(" -,–:(") or label.strip()
    word = (m.group("n") or m.group("n2") or "").lower()
    leg = 1 if word in ("1st", "first", "1") else 2 if word in ("2nd", "second", "2") else None
    if m.group("de"):
        leg = 1 if m.group("de").lower() == "hin" else 2
    return base, leg, bool(m.group("replay"))


def decide(legs: Sequence[tuple[str, str, ParsedResult | None]], sides: tuple[str, str],
           total_legs: int, rules: TieRules) -> tuple[str | None, str | None, Score | None]:
    """(winner, how, aggregate for ``sides``) of a tie's legs, as ``decide_tie`` has it; no
    winner while one is unplayed."""
    played = [TieLeg(home_side=home_side(h, a, sides, n),
                     played=Played.of(r.full_time, r.extra_time, r.penalties))
              for n, (h, a, r) in enumerate(legs, start=1) if r is not None]
    if not played:
        return None, None, None
    aggregate = tie_aggregate(played)
    if len(played) < total_legs:
        return None, None, aggregate
    decision = decide_tie(played, rules)
    winner = None if decision.winner is None else sides[decision.winner]
    return winner, decision.how, aggregate


# --- the inference ------------------------------------------------------------------------------


def infer(parsed: ParsedSeason, teams: Sequence[tuple[str, str]], rules: TieRules,
          round_kinds: Mapping[str, str] | None = None) -> Structure:
    """The structure of ``parsed`` whose matches are between ``teams`` (home, away ids)."""
    return _Inference(parsed, teams, rules, dict(round_kinds or {})).run()


@attrs.define
class _Inference:
    parsed: ParsedSeason
    teams: Sequence[tuple[str, str]]
    rules: TieRules
    round_kinds: dict[str, str]
    notes: list[str] = attrs.field(factory=list)
    warnings: list[str] = attrs.field(factory=list)
    fixtures: dict[int, Fixture] = attrs.field(factory=dict)
    ties: list[Tie] = attrs.field(factory=list)
    abbrevs: dict[str, str] = attrs.field(factory=dict)

    def run(self) -> Structure:
        cup = bool(_CUP.search(self.parsed.name or ""))
        rounds = self._rounds()
        kinds = {label: self._kind(label, indexes, cup) for label, indexes in rounds.items()}
        for label, indexes in rounds.items():
            if kinds[label] == KNOCKOUT and not self._knockout_round(label, indexes):
                kinds[label] = LEAGUE
        for label, indexes in rounds.items():
            if kinds[label] != KNOCKOUT:
                self._league_round(label, indexes)
        self._infer_groups(KNOCKOUT in kinds.values())
        self._link()
        ordered = tuple(self.fixtures[i] for i in range(len(self.parsed.matches)))
        return Structure(format=self._format(), fixtures=ordered, ties=tuple(self.ties),
                         notes=tuple(self.notes), warnings=tuple(self.warnings))

    def _rounds(self) -> dict[str, list[int]]:
        """Match indexes by round, legs together ("Round of 16 - 1st Leg" is "Round of 16")."""
        rounds: dict[str, list[int]] = {}
        labels: dict[str, str] = {}
        for i, m in enumerate(self.parsed.matches):
            base = split_leg(m.round)[0]
            label = labels.setdefault(_round_key(base), base)  # first spelling of the round
            rounds.setdefault(label, []).append(i)
        return rounds

    def _format(self) -> CompetitionFormat:
        used = {f.kind for f in self.fixtures.values()}
        if used == {KNOCKOUT}:
            return CompetitionFormat.KNOCKOUT
        if KNOCKOUT not in used:
            return CompetitionFormat.LEAGUE
        self.notes.insert(0, "format mixed: league or group rounds and knockout rounds")
        return CompetitionFormat.MIXED

    def _kind(self, label: str, indexes: list[int], cup: bool) -> str:
        wanted = self.round_kinds.get(label) or self.round_kinds.get(_round_key(label))
        if wanted is not None:
            if wanted not in (LEAGUE, KNOCKOUT):
                raise SourceError(f"round {label!r}: kind {wanted!r} is neither league nor "
                                  "knockout")
            return wanted
        if all(self.parsed.matches[i].group for i in indexes):
            return GROUP
        if _KNOCKOUT.search(label):
            return KNOCKOUT
        if _ROUND_N.match(label) and cup:
            return KNOCKOUT
        if _LEAGUE.search(label) or not label:
            return LEAGUE
        return KNOCKOUT if cup else LEAGUE

    # --- league rounds ------------------------------------------------------------------------

    def _league_round(self, label: str, indexes: list[int]) -> None:
        for i in indexes:
            m = self.parsed.matches[i]
            group = m.group or self._defined_group(i)
            home, away = self.teams[i]
            self.fixtures[i] = Fixture(index=i, match=m, home=home, away=away,
                                       round=group or label or "League",
                                       kind=GROUP if group else LEAGUE)

    def _defined_group(self, i: int) -> str | None:
        m = self.parsed.matches[i]
        for group, members in self.parsed.groups.items():
            if m.team1 in members and m.team2 in members:
                return group
        return None

    def _infer_groups(self, has_knockout: bool) -> None:
        """Group-stage matchdays without group names: a group is who played whom."""
        loose = [f for f in self.fixtures.values() if f.kind == LEAGUE]
        staged = any("group" in (f.match.stage or "").lower() for f in loose)
        if not loose or not (has_knockout or staged):
            return
        parent: dict[str, str] = {}

        def root(team: str) -> str:
            while parent.setdefault(team, team) != team:
                team = parent[team]
            return team

        for f in loose:
            parent[root(f.home)] = root(f.away)
        order = list(dict.fromkeys(root(f.home) for f in loose))
        if len(order) < 2:
            return
        names = {r: f"Group {n}" for n, r in enumerate(order, 1)}
        for f in loose:
            self.fixtures[f.index] = attrs.evolve(f, round=names[root(f.home)], kind=GROUP,
                                                  group_inferred=True)
        rounds = list(dict.fromkeys(split_leg(f.match.round)[0] for f in loose))
        span = f"{rounds[0]!r}-{rounds[-1]!r}" if len(rounds) > 1 else repr(rounds[0])
        self.notes.append(f"{len(order)} groups ('Group 1'-'Group {len(order)}') inferred from "
                          f"who played whom in {span}")

    # --- knockout rounds ----------------------------------------------------------------------

    def _knockout_round(self, label: str, indexes: list[int]) -> bool:
        """Ties of one knockout round; False when it turns out to be a round robin."""
        pairs: dict[frozenset[str], list[int]] = {}
        for i in indexes:
            pairs.setdefault(frozenset(self.teams[i]), []).append(i)
        seen: dict[str, frozenset[str]] = {}
        for pair in pairs:
            for team in pair:
                if seen.setdefault(team, pair) != pair:
                    self.notes.append(f"round {label!r} is a round robin ({team} meets several "
                                      "opponents): a league round")
                    return False
        for pair, found in pairs.items():
            if len(found) > 2:
                where = ", ".join(self.parsed.matches[i].where for i in found)
                raise SourceError(f"round {label!r}: {' and '.join(sorted(pair))} meet "
                                  f"{len(found)} times ({where}); a tie has at most two legs")
        ordered = sorted(pairs.values(), key=lambda f: min(self._when(i) for i in f))
        groups = [sorted(f, key=self._when) for f in ordered]
        marked = any(split_leg(self.parsed.matches[i].round)[1] for i in indexes)
        single = sum(1 for g in groups if len(g) == 1)
        replays = single > 0 and not marked and all(
            self._level(g[0]) for g in groups if len(g) == 2)
        doubles = [g for g in groups if len(g) == 2]
        two_legged = marked or (bool(doubles) and not replays and len(doubles) >= single)
        abbrev = self._abbrev(label)
        for n, group in enumerate(groups, 1):
            tie_id = abbrev if len(groups) == 1 else (
                f"{abbrev}-{n}" if abbrev[-1].isdigit() else f"{abbrev}{n}")
            self._tie(tie_id, label, group, two_legged, replays and len(group) == 2)
        if replays and doubles:
            note = (f"{len(groups)} one-match tie(s), {len(doubles)} of them replayed after a "
                    "draw (a match and its replay modelled as two legs)")
        elif two_legged:
            note = f"{len(groups)} two-legged tie(s) (legs by date)"
        else:
            note = f"{len(groups)} one-match tie(s)"
        self.notes.append(f"round {label!r}: {note}")
        return True

    def _when(self, i: int) -> tuple[dt.date, dt.time, int]:
        m = self.parsed.matches[i]
        return m.date, m.time or dt.time(23, 59), i

    def _level(self, i: int) -> bool:
        r = self.parsed.matches[i].result
        return (r is not None and r.full_time[0] == r.full_time[1] and r.extra_time is None
                and r.penalties is None)

    def _abbrev(self, label: str) -> str:
        """"QF" for "Quarter-finals", "R16" for "Round of 16", "SF", "F", "PO", "3P"..."""
        text = label.lower()
        n = re.search(r"round of (\d+)|last (\d+)|1/(\d+)", text)
        if re.search(r"third|3rd", text):
            abbrev = "3P"
        elif "semi" in text or "halb" in text:
            abbrev = "SF"
        elif "quarter" in text or "viertel" in text:
            abbrev = "QF"
        elif n:
            size = int(n.group(1) or n.group(2) or 0) or 2 * int(n.group(3))
            abbrev = f"R{size}"
        elif "achtel" in text:
            abbrev = "R16"
        elif re.search(r"play-?off", text):
            abbrev = "PO"
        elif re.search(r"final", text):
            abbrev = "F"
        else:
            words = re.findall(r"[a-z0-9]+", text)
            abbrev = "".join(w if w.isdigit() else w[0] for w in words).upper() or "T"
        if abbrev in self.abbrevs.values():
            abbrev = re.sub(r"[^a-z0-9]+", "-", text).strip("-").upper()
        self.abbrevs[label] = abbrev
        return abbrev

    def _tie(self, tie_id: str, label: str, group: list[int], two_legged: bool,
             replay: bool) -> None:
        legs = 2 if two_legged or len(group) == 2 else 1
        first = self.teams[group[0]]
        results = [(self.teams[i][0], self.teams[i][1], self.parsed.matches[i].result)
                   for i in group]
        rules = attrs.evolve(self.rules, away_goals=False) if replay else self.rules
        winner, how, aggregate = decide(results, first, legs, rules)
        home, away = first
        if replay:
            note = f"a match and its replay in round {label!r} (modelled as two legs)"
        elif legs == 2 and len(group) == 1:
            note = f"two-legged tie from round {label!r}; the second leg is not in the file"
        elif legs == 2:
            note = f"two-legged tie from round {label!r} (legs by date)"
        else:
            note = f"one-match tie from round {label!r}"
        if winner is None and len(group) == legs and all(r for _, _, r in results):
            self.warnings.append(f"tie {tie_id} ({home} v {away}) has no winner under the "
                                 f"rules {_rules_text(rules)}: level, and no shoot-out reported")
        self.ties.append(Tie(id=tie_id, round=label, sides=(Side(team=home), Side(team=away)),
                             teams=first, legs=legs, fixtures=tuple(group), note=note,
                             winner=winner, how=how, aggregate=aggregate, replay=replay))
        for leg, i in enumerate(group, 1):
            m = self.parsed.matches[i]
            if legs == 2 and len(group) == 1:
                leg = split_leg(m.round)[1] or 1  # "Round of 16 - 2nd Leg" alone
            h, a = self.teams[i]
            self.fixtures[i] = Fixture(index=i, match=m, home=h, away=a, round=label,
                                       kind=KNOCKOUT, tie=tie_id, leg=leg if legs == 2 else None)

    def _link(self) -> None:
        """A side of a later round is the winner of the tie it won in an earlier one."""
        order = list(dict.fromkeys(t.round for t in sorted(
            self.ties, key=lambda t: min(self._when(i) for i in t.fixtures))))
        by_round = {r: [t for t in self.ties if t.round == r] for r in order}
        linked = 0
        out: list[Tie] = []
        for r_index, rnd in enumerate(order):
            earlier = [t for r in reversed(order[:r_index]) for t in by_round[r]]
            for tie in by_round[rnd]:
                sides = []
                for team in tie.teams:
                    source = next((t for t in earlier if team in t.teams), None)
                    if source is not None and source.winner == team:
                        sides.append(Side(winner_of=source.id))
                        linked += 1
                    else:
                        sides.append(Side(team=team))
                out.append(attrs.evolve(tie, sides=(sides[0], sides[1])))
        self.ties = out
        if linked:
            self.notes.append(f"{linked} tie sides linked as the winner of a tie of an earlier "
                              "round")


def _round_key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", label.lower())


def _rules_text(rules: TieRules) -> str:
    parts = ["aggregate"]
    if rules.away_goals:
        parts.append("away goals")
    if rules.extra_time:
        parts.append("extra time")
    if rules.penalties:
        parts.append("penalties")
    return ", ".join(parts)


__all__ = [
    "GROUP",
    "KNOCKOUT",
    "LEAGUE",
    "Fixture",
    "Structure",
    "Tie",
    "decide",
    "default_rules",
    "infer",
    "split_leg",
]

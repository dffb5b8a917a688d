"""Every real file of ``tests/data`` against a computation of its own: the final table, and
each knockout tie's winner and how it was decided, worked out here from the file's text (a
small regex pass written for these files, or the JSON as it stands), never through the
product's parser, then compared with what the imported ledger answers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from matchledger.ledger import Ledger, LedgerError
from matchledger.ledger.sources import import_source
from matchledger.projections import bracket, state_at, table

DATA = Path(__file__).parent / "data"
Score = tuple[int, int]


@attrs.frozen
class Played:
    round: str  # as headed, legs left out
    knockout: bool
    team1: str
    team2: str
    ft: Score  # after 90 minutes
    et: Score | None
    pens: Score | None

    @property
    def final(self) -> Score:
        return self.et or self.ft


# --- Football.TXT, read by a regex pass of this test's own ------------------------------------

_SC = r"\d{1,2}\s?[-:–]\s?\d{1,2}"
_SCORE = re.compile(rf"""(?<![\w.])(?:
      (?P<pen>{_SC})\s*pen\.\s*(?P<et>{_SC})\s*a\.e\.t\.?\s*\((?P<ft>{_SC})[^)]*\)
    | (?P<et2>{_SC})\s*a\.e\.t\.?\s*\((?P<ft2>{_SC})[^)]*\)
    | (?P<ft3>{_SC})(?:\s*\({_SC}\))?
    )(?!\w)""", re.X)
_HEADING = re.compile(r"^(?:[»▪]+\s*)?(?:\(\d+\)\s*)?(?P<label>[^|\[\]]*?(?:round|spieltag|"
                      r"matchday|final|quarter|semi|playoff|group|gruppe|third place)[^|]*?)"
                      r"\s*(?:\|.*)?$", re.I)
_LEADING = re.compile(r"^(?:\(\d+\)\s+)?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+)?"
                      r"(?:[A-Z][a-z]{2}/\d{1,2}\s+)?(?:\d{1,2}[.:]\d{2}\s+)?")
_COUNTRY = re.compile(r"\s*\([A-Z]{2,4}\)")


def _pair(text: str) -> Score:
    a, b = re.split(r"\s?[-:–]\s?", text.strip())
    return int(a), int(b)


def read_txt(text: str, cup: bool) -> list[Played]:
    stage, label, played = "", "", []
    pending: list[tuple[str, str, str, Score, Score | None, Score | None]] = []
    for raw in text.splitlines():
        line = re.sub(r"(?:^|\s)#.*$", "", raw).strip()
        if not line or line[0] in "[(" and not re.match(r"\(\d+\)", line):
            continue
        if line.startswith("=="):
            stage = line
            continue
        line = _LEADING.sub("", line)  # "(49) Sat Jun/30 21:00": no score in it
        found = _SCORE.search(line)
        if found is None:
            heading = _HEADING.match(line)
            if heading and not re.match(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", line):
                label = re.sub(r"\s*-\s*(?:1st|2nd)\s+leg$", "", heading.group("label"),
                               flags=re.I).strip()
            continue
        if found.group("pen"):
            ft, et, pens = found.group("ft"), found.group("et"), found.group("pen")
        elif found.group("et2"):
            ft, et, pens = found.group("ft2"), found.group("et2"), None
        else:
            ft, et, pens = found.group("ft3"), None, None
        before = line[: found.start()].strip()
        after = re.split(r"\s+@\s+", line[found.end():])[0].strip()
        knockout = cup and "group" not in stage.lower() and \
            not re.match(r"(?:group|gruppe)\b", label, re.I)
        pending.append((label, before, after, _pair(ft), _pair(et) if et else None,
                        _pair(pens) if pens else None))
        played.append(knockout)
    two_spaced = {n for _, before, after, *_ in pending if not after
                  for n in re.split(r"\s{2,}", before) if len(re.split(r"\s{2,}", before)) == 2}
    out = []
    for (label, before, after, ft, et, pens), knockout in zip(pending, played, strict=True):
        if after:
            team1, team2 = before, after
        elif " v " in before:
            team1, team2 = before.split(" v ")
        elif len(re.split(r"\s{2,}", before)) == 2:
            team1, team2 = re.split(r"\s{2,}", before)
        else:  # one space between two names the file spells apart elsewhere
            words = before.split()
            [(team1, team2)] = [(" ".join(words[:i]), " ".join(words[i:]))
                                for i in range(1, len(words))
                                if {" ".join(words[:i]), " ".join(words[i:])} <= two_spaced]
        out.append(Played(label, knockout, _COUNTRY.sub("", team1).strip(),
                          _COUNTRY.sub("", team2).strip(), ft, et, pens))
    return out


# --- football.json, as it stands ---------------------------------------------------------------


def read_json(text: str, cup: bool) -> list[Played]:
    data = json.loads(text)
    rounds = data.get("rounds") or [{"name": None, "matches": data["matches"]}]
    out = []
    for rnd in rounds:
        for m in rnd["matches"]:
            def name(team: object) -> str:
                return team["name"] if isinstance(team, dict) else str(team)

            score = m.get("score")
            if isinstance(score, dict):
                ft, et, pens = score.get("ft"), score.get("et"), score.get("p")
            else:
                ft = [m.get("score1"), m.get("score2")]
                et = [m.get("score1et"), m.get("score2et")]
                pens = [m.get("score1p"), m.get("score2p")]
            if not ft or ft[0] is None:
                continue
            label = m.get("round") or rnd["name"] or ""
            knockout = cup and not m.get("group") and not label.startswith(("Group",
                                                                            "Matchday"))
            out.append(Played(label, knockout, name(m["team1"]), name(m["team2"]),
                              (ft[0], ft[1]), tuple(et) if et and et[0] is not None else None,
                              tuple(pens) if pens and pens[0] is not None else None))
    return out


# --- what the files come to, worked out here ---------------------------------------------------


def expected_table(matches: list[Played]) -> dict[str, tuple[int, ...]]:
    """team name -> (played, won, drawn, lost, for, against, points); a shoot-out is a draw."""
    rows: dict[str, list[int]] = {}
    for m in matches:
        for team, (mine, theirs) in ((m.team1, m.final), (m.team2, m.final[::-1])):
            row = rows.setdefault(team, [0] * 7)
            outcome = 1 if mine > theirs else 2 if mine == theirs else 3
            row[0] += 1
            row[outcome] += 1
            row[4] += mine
            row[5] += theirs
            row[6] += {1: 3, 2: 1, 3: 0}[outcome]
    return {team: tuple(row) for team, row in rows.items()}


def expected_ties(matches: list[Played], away_goals: bool,
                  replays: bool) -> dict[frozenset[str], tuple[str, str]]:
    """{the two teams: (winner, how)} of every knockout tie decided in the file."""
    ties: dict[tuple[str, frozenset[str]], list[Played]] = {}
    for m in matches:
        if m.knockout:
            ties.setdefault((m.round, frozenset((m.team1, m.team2))), []).append(m)
    out: dict[frozenset[str], tuple[str, str]] = {}
    for (_, pair), legs in ties.items():
        assert pair not in out, pair
        decided = _decide(legs[-1:] if replays else legs, away_goals)
        if decided is not None:
            out[pair] = decided
    return out


def _decide(legs: list[Played], away_goals: bool) -> tuple[str, str] | None:
    first, last = legs[0].team1, legs[-1]
    def tally(score: Score, m: Played) -> Score:  # (first, other)
        return score if m.team1 == first else (score[1], score[0])

    def summed(scores: Iterator[Score]) -> Score:
        a = b = 0
        for x, y in scores:
            a, b = a + x, b + y
        return a, b

    other = last.team2 if last.team1 == first else last.team1
    steps = [("aggregate", summed(tally(m.ft, m) for m in legs))]
    if away_goals and len(legs) == 2:
        steps.append(("away_goals", summed(tally((0, m.ft[1]) if m.team1 == first
                                                  else (m.ft[1], 0), m) for m in legs)))
    if last.et is not None:
        steps.append(("extra_time", summed(tally(m.final, m) for m in legs)))
        if away_goals and len(legs) == 2:
            extra = (last.et[1] - last.ft[1]) if last.team1 != first else 0
            extra_other = (last.et[1] - last.ft[1]) if last.team1 == first else 0
            away = summed(tally((0, m.ft[1]) if m.team1 == first else (m.ft[1], 0), m)
                          for m in legs)
            steps.append(("away_goals", (away[0] + extra, away[1] + extra_other)))
    if last.pens is not None:
        steps.append(("penalties", tally(last.pens, last)))
    for how, (a, b) in steps:
        if a != b:
            return (first if a > b else other), how
    return None


# --- the files -------------------------------------------------------------------------------

FILES = [  # name, a cup (knockout rounds), UEFA away goals, FA Cup replays
    ("1963-64_bundesliga.txt", False, False, False),
    ("1998-99_premierleague.txt", False, False, False),
    ("bundesliga_2023-24.txt", False, False, False),
    ("de.1_2023-24.json", False, False, False),
    ("cl_2023-24.txt", True, False, False),
    ("el_2023-24.txt", True, False, False),
    ("cl_2013-14_finals.txt", True, True, False),
    ("dfb-pokal_2023-24.txt", True, False, False),
    ("facup_2023-24_round1.txt", True, False, True),
    ("2018--russia_cup_finals.txt", True, False, False),
    ("2022--qatar_cup_finals.txt", True, False, False),
    ("euro_2024_excerpt.txt", True, False, False),
    ("worldcup_2018_old.json", True, False, False),
    ("worldcup_2022_finals.json", True, False, False),
]


@pytest.mark.parametrize(("name", "cup", "away_goals", "replays"), FILES)
def test_a_real_file_comes_to_what_its_text_says(tmp_path: Path, name: str, cup: bool,
                                                 away_goals: bool, replays: bool) -> None:
    text = (DATA / name).read_text(encoding="utf-8-sig")
    matches = (read_json if name.endswith(".json") else read_txt)(text, cup)
    lg = Ledger(tmp_path / "l.db")
    summary = import_source(lg, DATA / name)
    state = state_at(lg)
    registry = lg.registry()

    def team(written: str) -> str:
        return registry.resolve_team(written)

    assert summary.results == len(matches)
    want = {team(t): row for t, row in expected_table(matches).items()}
    got = {r.team: (r.played, r.won, r.drawn, r.lost, r.goals_for, r.goals_against, r.points)
           for r in table(state, summary.competition) if r.played}
    assert got == want
    decided = {frozenset(team(t) for t in pair): (team(winner), how) for pair, (winner, how)
               in expected_ties(matches, away_goals, replays).items()}
    answered = {frozenset(s.team for s in t.sides if s.team): (t.winner, t.decided_by)
                for r in bracket(state, summary.competition).rounds for t in r.ties
                if t.winner is not None}
    assert answered == decided
    assert bool(decided) == cup
    lg.close()


def test_the_sampler_contradicts_itself_and_is_refused_whole(tmp_path: Path) -> None:
    """Its final: 1-1 after extra time with the scorers at 10' and 100', so 1-0 after 90
    minutes: extra time in a tie that was not level."""
    lg = Ledger(tmp_path / "l.db")
    with pytest.raises(LedgerError, match=r"sampler.txt:49: .*not level after 1-0"):
        import_source(lg, DATA / "sampler.txt")
    assert lg.head() == 0
    lg.close()

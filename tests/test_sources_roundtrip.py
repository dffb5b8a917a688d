"""A generated season written out in Football.TXT (every score form, both layouts, headings,
scorers and line-ups) and in football.json imports back to the same results."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchledger.events import (
    CardShown,
    FixtureScheduled,
    PlayerRegistered,
    ResultReported,
    SubstitutionMade,
)
from matchledger.ledger import Ledger
from matchledger.ledger.sources import import_source

CLUBS = ("Arsenal", "Benfica", "Celtic", "Dynamo", "Everton", "Fiorentina", "Galatasaray",
         "Hajduk", "Inter", "Juventus")
Score = tuple[int, int]


@attrs.frozen
class Match:
    round: str
    date: dt.date
    home: str
    away: str
    ft: Score
    ht: Score
    et: Score | None = None
    pens: Score | None = None
    form: int = 0  # which way the score is written
    layout: int = 0  # teams either side of the score, or both before it
    lineups: bool = False


def _scores(draw: st.DrawFn) -> tuple[Score, Score]:
    ft = (draw(st.integers(0, 4)), draw(st.integers(0, 4)))
    return ft, (draw(st.integers(0, ft[0])), draw(st.integers(0, ft[1])))


@st.composite
def seasons(draw: st.DrawFn) -> tuple[list[Match], int]:
    """A league of four (one round robin), then a cup final decided each possible way."""
    clubs = draw(st.permutations(CLUBS))[:4]
    matches, day = [], dt.date(2024, 8, 10)
    pairs = [(a, b) for i, a in enumerate(clubs) for b in clubs[i + 1:]]
    for n, (a, b) in enumerate(pairs):
        ft, ht = _scores(draw)
        matches.append(Match(f"Matchday {n // 2 + 1}", day + dt.timedelta(days=7 * (n // 2)),
                             a, b, ft, ht, layout=draw(st.integers(0, 1)),
                             lineups=draw(st.booleans())))
    way = draw(st.sampled_from(["90", "aet", "pens", "pens_after_90"]))
    level = draw(st.integers(0, 2))
    home, away = draw(st.sampled_from(clubs)), None
    away = draw(st.sampled_from([c for c in clubs if c != home]))
    final = dt.date(2025, 5, 24)
    if way == "90":
        ft, ht = _scores(draw)
        if ft[0] == ft[1]:
            ft = (ft[0] + 1, ft[1])
        cup = Match("Final", final, home, away, ft, ht)
    elif way == "aet":
        cup = Match("Final", final, home, away, (level, level), (0, 0), et=(level + 1, level))
    else:
        pens = draw(st.sampled_from([(4, 3), (3, 5), (5, 4), (2, 4)]))
        et = None if way == "pens_after_90" else (level, level)
        cup = Match("Final", final, home, away, (level, level), (0, 0), et=et, pens=pens)
    cup = attrs.evolve(cup, form=draw(st.integers(0, 1)), layout=draw(st.integers(0, 1)),
                       lineups=draw(st.booleans()))
    return [*matches, cup], draw(st.integers(0, 1))


def _pair(score: Score) -> str:
    return f"{score[0]}-{score[1]}"


def _score_text(m: Match) -> str:
    ft, ht = _pair(m.ft), _pair(m.ht)
    if m.pens and m.et:
        return (f"{_pair(m.pens)} pen. {_pair(m.et)} a.e.t. ({ft}, {ht})" if m.form == 0
                else f"{_pair(m.et)} a.e.t., {_pair(m.pens)} pen. ({ft}, {ht})")
    if m.pens:
        return f"{_pair(m.pens)} pen. ({ft}, {ht})"
    if m.et:
        return f"{_pair(m.et)} a.e.t. ({ft}, {ht})"
    return f"{ft} ({ht})"


def _scorers(m: Match) -> list[str]:
    """The goals, by each side's Nine: the first half's, the second's, then extra time's;
    the home side's first from the spot."""
    sides = []
    for side, club in enumerate((m.home, m.away)):
        final, full, half = (m.et or m.ft)[side], m.ft[side], m.ht[side]
        minutes = [f"{10 + k}'" if k < half else f"{50 + k}'" if k < full else f"{95 + k}'"
                   for k in range(final)]
        if side == 0 and minutes:
            minutes[0] += " (pen.)"
        sides.append(f"{club} Nine {', '.join(minutes)}" if minutes else "")
    return [] if not any(sides) else [f"     ({sides[0]}; {sides[1]})"]


def _lineup(club: str, m: Match) -> list[str]:
    """Eleven players; one booked, one sent off late with a second yellow, two replaced."""
    p = [f"{club} {name}" for name in ("Keeper", "Left", "Centre", "Right", "Back", "Holder",
                                       "Runner", "Wide", "Ten", "Winger", "Nine")]
    return [f"  {club}:  {p[0]} - {p[1]} [Y], {p[2]}, {p[3]}, {p[4]} - {p[5]} (61' {club} "
            f"Bench),", f"     {p[6]}, {p[7]} [Y/R 89'] - {p[8]} ({club} Sub 75'), {p[9]},",
            f"     {p[10]}."]


def to_txt(matches: list[Match], marker: int) -> str:
    lines, heading = ["= Roundtrip Cup 2024/25", "# generated"], None
    for m in matches:
        if m.round != heading:
            heading = m.round
            lines += ["", f"{'▪ ' if marker else ''}{m.round}"]
        lines.append(f"[{m.date:%a %b/%-d %Y}]")
        score = _score_text(m)
        if m.layout == 0:
            lines.append(f"  {m.home}  {score}  {m.away}")
        else:
            lines.append(f"  {m.home}  v  {m.away}  {score}")
        lines += _scorers(m)
        if m.lineups:
            lines += _lineup(m.home, m) + _lineup(m.away, m)
    return "\n".join(lines) + "\n"


def to_json(matches: list[Match]) -> str:
    out = []
    for m in matches:
        score: dict[str, list[int]] = {"ft": list(m.ft), "ht": list(m.ht)}
        if m.et:
            score["et"] = list(m.et)
        if m.pens:
            score["p"] = list(m.pens)
        out.append({"round": m.round, "date": m.date.isoformat(), "team1": m.home,
                    "team2": m.away, "score": score})
    return json.dumps({"name": "Roundtrip Cup 2024/25", "matches": out})


def _results(lg: Ledger) -> set[tuple[str | None, str | None, Score, Score | None,
                                      Score | None]]:
    fixtures = {f"match:{e.event.match}": e.event for e in lg.read(types=["FixtureScheduled"])
                if isinstance(e.event, FixtureScheduled)}
    out = set()
    for env in lg.read(types=["ResultReported"]):
        r, fx = env.event, fixtures[env.stream]
        assert isinstance(r, ResultReported)
        out.add((fx.home, fx.away, r.full_time, r.extra_time, r.penalties))
    return out


def _expected(matches: list[Match]) -> set[tuple[str | None, str | None, Score, Score | None,
                                                 Score | None]]:
    return {(m.home.lower(), m.away.lower(), m.ft, m.et, m.pens) for m in matches}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seasons())
def test_a_season_written_in_both_formats_imports_back_to_the_same_results(
        season: tuple[list[Match], int]) -> None:
    matches, marker = season
    with tempfile.TemporaryDirectory() as tmp:
        txt, js = Path(tmp) / "cup.txt", Path(tmp) / "cup.json"
        txt.write_text(to_txt(matches, marker), encoding="utf-8")
        js.write_text(to_json(matches), encoding="utf-8")
        for path in (txt, js):
            lg = Ledger(Path(tmp) / f"{path.suffix[1:]}.db")
            summary = import_source(lg, path)
            assert _results(lg) == _expected(matches)
            assert summary.results == len(matches)
            if path is txt:
                assert summary.goals == sum(sum(m.et or m.ft) for m in matches)
                with_lineups = sum(1 for m in matches if m.lineups)
                subs = [e for e in lg.read(types=["SubstitutionMade"])
                        if isinstance(e.event, SubstitutionMade)]
                cards = [e for e in lg.read(types=["CardShown"])
                         if isinstance(e.event, CardShown)]
                players = [e for e in lg.read(types=["PlayerRegistered"])
                           if isinstance(e.event, PlayerRegistered)]
                assert (len(subs), len(cards)) == (4 * with_lineups, 6 * with_lineups)
                assert summary.line_kinds.get("lineup", 0) == 6 * with_lineups
                assert len(players) == len({(m.home if side == 0 else m.away)
                                            for m in matches if m.lineups
                                            for side in (0, 1)}) * 13
            lg.close()

"""The stored form of derived state (snapshot parts, team pieces): JSON that cannot run code.

A ledger file is something people send each other, so what the projections cache inside it
is data and nothing more: positional JSON arrays through orjson, read back by functions that
check every shape and raise ``StaleCache`` at anything else. A cache that does not check out
is recomputed from the log, never trusted. A snapshot part of some length is stored deflated
(zlib, whose stream starts with ``x``, where JSON text starts with ``[``), since parts are most
of a snapshot's bytes and their event ids and names repeat.

    >>> from matchledger.projections.testing import sample_state
    >>> state = sample_state()
    >>> key = ("match", "qf4-leg2")
    >>> decode_part(key, encode_part(key, state.matches["qf4-leg2"])) == state.matches["qf4-leg2"]
    True
    >>> decode_part(key, b"\\x80\\x04cos\\nsystem\\n.")
    Traceback (most recent call last):
    projections.errors.StaleCache: snapshot part ["match","qf4-leg2"] does not check out
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import orjson

from matchledger.events import (
    Card,
    CompetitionFormat,
    Event,
    GoalKind,
    KickOutcome,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    ResultReported,
    Side,
    TieRules,
)
from matchledger.events.competition import Competition, Fixture, Key, Player, Tie
from matchledger.events.match import (
    NO_FACTS,
    Booking,
    EventKey,
    Facts,
    Goal,
    Kick,
    MatchState,
    Substitution,
    intern_name,
)
from matchledger.events.team import Team
from matchledger.ledger.codec import converter, decode, encode
from matchledger.ledger.envelope import from_micros, to_micros
from matchledger.projections.book import COUNTS, Piece, SortKey, Summary
from matchledger.projections.errors import StaleCache
from matchledger.projections.records import Outcome, TeamRecord
from matchledger.projections.state import State

# --- small checked readers: a wrong type is a TypeError, which the decoders turn into
# StaleCache (a value of the wrong type would otherwise fail far away, in a view)


def _str(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("expected a string")
    return value


def _name(value: Any) -> str:
    """A team's or player's name: one string however many matches hold it, as the fold
    keeps them (``intern_name``)."""
    return intern_name(_str(value))


def _opt_name(value: Any) -> str | None:
    return None if value is None else _name(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError("expected an integer")
    return value


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError("expected true or false")
    return value


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise TypeError("expected an array")
    return value


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(_str(v) for v in _list(value))


def _members(kind: type[Any]) -> dict[Any, Any]:
    """An enum's members by stored value; None for None."""
    return {None: None, **{m.value: m for m in kind}}


_PERIODS, _GOAL_KINDS, _CARDS, _KICKS = (_members(k) for k in (Period, GoalKind, Card,
                                                              KickOutcome))
_FORMATS = {m.value: m for m in CompetitionFormat}
_HEX32 = re.compile(r"[0-9a-f]{32}").fullmatch


def _key_out(key: EventKey) -> str | list[str]:
    """An event key (``events.match.event_key``): a UUID's number as 32 hex digits, any other
    id as a one-item array."""
    return f"{key:032x}" if isinstance(key, int) else [key]


def _key_in(value: Any) -> EventKey:
    if type(value) is str and _HEX32(value):
        return int(value, 16)
    if type(value) is list and len(value) == 1 and type(value[0]) is str:
        return value[0]
    raise TypeError("expected an event key")


# --- events held by a match: the plain whistles by a short code, others as the log has them

_PLAIN: dict[Event, str] = {MatchStarted(): "MatchStarted", MatchEnded(): "MatchEnded"}
_PLAIN |= {cls(period=p): f"{cls.__name__} {p.value}" for cls in (PeriodStarted, PeriodEnded)
           for p in Period}
_BY_CODE = {code: event for event, code in _PLAIN.items()}
_TRANSITIONS = (MatchStarted, MatchEnded, PeriodStarted, PeriodEnded, MatchAbandoned)


def _event_out(event: Event) -> str | list[Any]:
    code = _PLAIN.get(event)
    if code is not None:
        return code
    name, version, data = encode(event)
    return [name, version, data]


def _event_in(value: Any, kinds: tuple[type[Event], ...]) -> Event:
    if type(value) is str:
        event = _BY_CODE[value]
    else:
        name, version, data = _list(value)
        if type(data) is not dict:
            raise TypeError("expected an object")
        event = decode(_str(name), _int(version), data)
    if not isinstance(event, kinds):
        raise TypeError(f"unexpected {type(event).__name__}")
    return event


# --- a match's state -------------------------------------------------------------------------


def _match_out(ms: MatchState) -> list[Any]:
    return [
        ms.home, ms.away,
        [_event_out(e) for e in ms.transitions],
        [_key_out(k) for k in ms.transition_keys],
        [[_key_out(g.key), g.team, g.player, g.minute, g.added, g.kind.value,
          g.period and g.period.value, g.disallowed] for g in ms.goals.values()],
        [[_key_out(d), _key_out(g)] for d, g in ms.disallowals.items()],
        [[_key_out(b.key), b.team, b.player, b.card.value, b.minute, b.added,
          b.period and b.period.value] for b in ms.bookings.values()],
        [[_key_out(k.key), k.team, k.taker, k.outcome.value] for k in ms.kicks.values()],
        None if ms.reported is None else [_key_out(ms.reported[0]),
                                          _event_out(ms.reported[1])],
        [_key_out(k) for k in ms.retracted],
        [[_key_out(s.key), s.team, s.player_off, s.player_on, s.minute, s.added,
          s.period and s.period.value] for s in ms.substitutions.values()],
        [[_key_out(k), i] for k, i in ms.slots.items()],
    ]


def _goal_in(value: Any) -> Goal:
    key, team, player, minute, added, kind, period, disallowed = _list(value)
    return Goal(key=_key_in(key), team=_name(team), player=_opt_name(player),
                minute=_opt_int(minute), added=_opt_int(added), kind=_GOAL_KINDS[kind],
                period=_PERIODS[period], disallowed=_bool(disallowed))


def _booking_in(value: Any) -> Booking:
    key, team, player, card, minute, added, period = _list(value)
    card = _CARDS[card]
    if card is None:
        raise TypeError("expected a card")
    return Booking(key=_key_in(key), team=_name(team), player=_name(player), card=card,
                   minute=_opt_int(minute), added=_opt_int(added), period=_PERIODS[period])


def _kick_in(value: Any) -> Kick:
    key, team, taker, outcome = _list(value)
    outcome = _KICKS[outcome]
    if outcome is None:
        raise TypeError("expected a kick's outcome")
    return Kick(key=_key_in(key), team=_name(team), taker=_opt_name(taker), outcome=outcome)


def _substitution_in(value: Any) -> Substitution:
    key, team, player_off, player_on, minute, added, period = _list(value)
    return Substitution(key=_key_in(key), team=_name(team), player_off=_name(player_off),
                        player_on=_name(player_on), minute=_opt_int(minute),
                        added=_opt_int(added), period=_PERIODS[period])


def _facts(value: Any, one: Callable[[Any], Any]) -> Facts[Any]:
    items = _list(value)
    return Facts(tuple(one(v) for v in items)) if items else NO_FACTS


_NO_DISALLOWALS: Mapping[EventKey, EventKey] = MatchState().disallowals
_NO_SLOTS: Mapping[EventKey, int] = MatchState().slots


def _match_in(value: Any) -> MatchState:
    (home, away, transitions, transition_keys, goals, disallowals, bookings, kicks, reported,
     retracted, substitutions, slots) = _list(value)
    moments = tuple(_event_in(e, _TRANSITIONS) for e in _list(transitions))
    keys = tuple(_key_in(k) for k in _list(transition_keys))
    if len(moments) != len(keys):
        raise TypeError("a transition without its key")
    pairs = dict((_key_in(d), _key_in(g)) for d, g in _list(disallowals))
    places = {_key_in(k): _int(i) for k, i in map(_list, _list(slots))}
    if reported is not None:
        key, result = _list(reported)
        reported = (_key_in(key), _event_in(result, (ResultReported,)))
    return MatchState(
        home=_opt_name(home), away=_opt_name(away), transitions=moments, transition_keys=keys,
        goals=_facts(goals, _goal_in),
        disallowals=MappingProxyType(pairs) if pairs else _NO_DISALLOWALS,
        bookings=_facts(bookings, _booking_in), kicks=_facts(kicks, _kick_in),
        substitutions=_facts(substitutions, _substitution_in), reported=reported,
        slots=MappingProxyType(places) if places else _NO_SLOTS,
        retracted=frozenset(_key_in(k) for k in _list(retracted)))


# --- the facts of the competition streams, each key's history of them ------------------------


def _side_in(value: Any) -> Side:
    if type(value) is not dict:
        raise TypeError("expected a side")
    return converter.structure(value, Side)


def _fact_out(kind: str, fact: Any) -> list[Any]:
    if kind == "competition":
        return [fact.id, fact.name, fact.season, fact.format.value,
                converter.unstructure(fact.rules)]
    if kind == "team":
        return [fact.id, fact.name, fact.country, list(fact.aliases), list(fact.competitions)]
    if kind == "player":
        return [fact.team, fact.name, list(fact.aliases)]
    if kind == "tie":
        return [fact.competition, fact.tie, fact.round,
                [converter.unstructure(s) for s in fact.sides], fact.legs, fact.drawn_at]
    return [fact.competition, fact.match, fact.date.isoformat(),
            fact.kickoff and fact.kickoff.isoformat(), fact.home, fact.away, fact.tie,
            fact.leg, fact.round, fact.venue, fact.neutral]


def _fact_in(kind: str, value: Any) -> Any:
    fields = _list(value)
    if kind == "competition":
        ident, name, season, fmt, rules = fields
        if type(rules) is not dict:
            raise TypeError("expected the rules")
        return Competition(id=_str(ident), name=_str(name), season=_str(season),
                           format=_FORMATS[fmt], rules=converter.structure(rules, TieRules))
    if kind == "team":
        ident, name, country, aliases, competitions = fields
        return Team(id=_str(ident), name=_str(name), country=_opt_str(country),
                    aliases=_strs(aliases), competitions=_strs(competitions))
    if kind == "player":
        team, name, aliases = fields
        return Player(team=_str(team), name=_str(name), aliases=_strs(aliases))
    if kind == "tie":
        competition, tie, rnd, sides, legs, drawn_at = fields
        side0, side1 = _list(sides)
        return Tie(competition=_str(competition), tie=_str(tie), round=_str(rnd),
                   sides=(_side_in(side0), _side_in(side1)), legs=_int(legs),
                   drawn_at=_int(drawn_at))
    competition, match, date, kickoff, home, away, tie, leg, rnd, venue, *rest = fields
    if len(rest) > 1 or any(type(flag) is not bool for flag in rest):
        raise TypeError("expected a fixture")
    return Fixture(competition=_name(competition), match=_str(match),
                   date=dt.date.fromisoformat(_str(date)),
                   kickoff=None if kickoff is None else dt.datetime.fromisoformat(_str(kickoff)),
                   home=_opt_name(home), away=_opt_name(away), tie=_opt_str(tie),
                   leg=_opt_int(leg), round=_opt_name(rnd), venue=_opt_name(venue),
                   neutral=bool(rest and rest[0]))


_KEY_LENGTHS = {"match": 2, "competition": 2, "team": 2, "fixture": 2, "player": 3, "tie": 3}


def check_key(value: Any) -> Key:
    """A snapshot key as stored (a JSON array of strings: ``["tie", "uel", "QF1"]``)."""
    if (type(value) is not list or not value or any(type(v) is not str for v in value)
            or _KEY_LENGTHS.get(value[0]) != len(value)):
        raise StaleCache(f"snapshot key {orjson.dumps(value).decode()} does not check out")
    return tuple(value)


# --- parts: what the snapshot tables store ---------------------------------------------------

DEFLATE_FROM = 256  # bytes of JSON text from which a part is stored deflated (below, it rarely
# shrinks enough to pay for the time)
MAX_PART = 16 * 2**20  # bytes a deflated part may inflate to; a longer one is not ours


def encode_part(key: Key, value: Any) -> bytes:
    """The stored form of one part: a match's state, or the history of one competition fact."""
    if key[0] == "match":
        text = orjson.dumps(_match_out(value))
    else:
        text = orjson.dumps([[event_id, _fact_out(key[0], fact)] for event_id, fact in value])
    if len(text) < DEFLATE_FROM:
        return text
    deflated = zlib.compress(text, 1)
    return deflated if len(deflated) < len(text) else text


def _inflate(blob: Any) -> Any:
    """A part's JSON text, inflated first if it was stored deflated (at most ``MAX_PART``
    bytes of it: a cache in a file someone sent must not fill the memory)."""
    if not isinstance(blob, bytes) or not blob.startswith(b"x"):
        return blob
    inflater = zlib.decompressobj()
    text = inflater.decompress(blob, MAX_PART)
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("a deflated part that is too long or cut short")
    return text


def decode_part(key: Key, blob: Any) -> Any:
    """The part ``encode_part`` stored for ``key``; StaleCache when it does not check out."""
    try:
        value = orjson.loads(_inflate(blob))
        if key[0] == "match":
            return _match_in(value)
        return tuple((_str(event_id), _fact_in(key[0], fact))
                     for event_id, fact in _list(value))
    except Exception as e:  # noqa: BLE001  (any failure at all means: not ours, recompute)
        raise StaleCache(f"snapshot part {orjson.dumps(list(key)).decode()} does not check "
                         "out") from e


def encode_parts(state: State, keys: Iterable[Key]) -> dict[Key, bytes | None]:
    """The stored form of each key's part; None for a key no longer in the state."""
    parts: dict[Key, bytes | None] = {}
    for key in keys:
        value = state.matches.get(key[1]) if key[0] == "match" else state.history.get(key)
        parts[key] = None if value is None else encode_part(key, value)
    return parts


# --- a team's pieces and summary (``projections.book``) --------------------------------------


def _sort_key_out(key: SortKey) -> list[Any]:
    moment, match = key
    assert isinstance(moment, dt.datetime)
    return [to_micros(moment), match]


def _sort_key_in(value: Any) -> SortKey:
    micros, match = _list(value)
    return from_micros(_int(micros)), _str(match)


_PLAYER_COUNTS = frozenset(("goals", "penalties", "own_goals", "yellow", "red"))


def _counts_in(value: Any) -> dict[str, int]:
    if type(value) is not dict or not value.keys() <= _PLAYER_COUNTS:
        raise TypeError("expected a player's counts")
    return {name: _int(n) for name, n in value.items()}


def encode_piece(piece: Piece) -> bytes:
    """A team's piece of one competition; its team and competition are the row's key. Its
    players go by name, each one's counts by field name, so that a piece updated in place
    (``projections.book``) is stored as the same bytes as one counted afresh."""
    record = piece.record
    return orjson.dumps([
        [getattr(record, name) for name in COUNTS],
        [[*_sort_key_out(key), o.goals_for, o.goals_against, o.result, o.yellow, o.red]
         for key, o in piece.played],
        [[player, counts] for (_, player), counts in sorted(piece.players.items())],
    ], option=orjson.OPT_SORT_KEYS)


def decode_piece(blob: Any, team: str, competition: str) -> Piece:
    """The piece ``encode_piece`` stored; StaleCache when it does not check out."""
    try:
        counts, played, players = _list(orjson.loads(blob))
        totals = dict(zip(COUNTS, (_int(n) for n in _list(counts)), strict=True))
        results = []
        for micros, match, goals_for, goals_against, result, yellow, red in _list(played):
            if result not in ("W", "D", "L"):
                raise TypeError("expected W, D or L")
            results.append((_sort_key_in([micros, match]), Outcome(
                match=_str(match), competition=competition, goals_for=_int(goals_for),
                goals_against=_int(goals_against), result=result, yellow=_int(yellow),
                red=_int(red))))
        return Piece(record=TeamRecord(team=team, competition=competition, **totals),
                     played=tuple(results),
                     players={(team, _str(p)): _counts_in(c) for p, c in _list(players)})
    except Exception as e:  # noqa: BLE001  (any failure at all means: not ours, recompute)
        raise StaleCache(f"piece of {team!r} in {competition!r} does not check out") from e


def encode_summary(last: SortKey | None, competitions: Iterable[str]) -> bytes:
    """What a team's summary row holds beside its overall record and player rows."""
    return orjson.dumps([None if last is None else _sort_key_out(last), list(competitions)])


def decode_summary(blob: Any, team: str, totals: Mapping[str, int],
                   players: dict[tuple[str, str], dict[str, int]]) -> Summary:
    """A team's ``Summary`` from its stored row and sums; StaleCache when it does not check
    out."""
    try:
        last, competitions = _list(orjson.loads(blob))
        return Summary(totals=dict(totals), players=players,
                       last=None if last is None else _sort_key_in(last),
                       competitions=_strs(competitions))
    except Exception as e:  # noqa: BLE001  (any failure at all means: not ours, recompute)
        raise StaleCache(f"summary of {team!r} does not check out") from e

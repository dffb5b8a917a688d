"""Read models: the views as tables in SQLite beside the log, written and read back.

Every read model is a table named ``rm_*`` in the ledger's own SQLite file, and the position
it has caught up to is saved in ``rm_checkpoint`` *in the same transaction* as its rows, so a
crash never applies an event twice nor skips one (the ``Projector`` writes them).

The tables (scores are home/away; a tie's aggregate side 0/side 1; ``json`` columns hold the
view's JSON contract, ``projections.to_json``, so a reader needs no fold; a match's scoreboard
has none: one per match made most of the file, and no reader asked for more than its columns):

    rm_checkpoint     name PK, position, format, updated_at, hash (of the event at position)
    rm_competition    competition PK, name, season, format, rules (JSON)
    rm_team           team PK, name, country, aliases (JSON), competitions (JSON)
    rm_scoreboard     match PK, competition, round, tie, leg, home, away, date, kickoff,
                      status, minute, home_goals, away_goals, home_penalties, away_penalties
    rm_tie            (competition, tie) PK, round, side0, side1 (JSON: id or winner_of),
                      aggregate0, aggregate1, winner, decided_by, json
    rm_bracket        competition PK, json
    rm_team_record    (team, competition) PK — competition "" is the record over all —,
                      played, won, drawn, lost, goals_for, goals_against, clean_sheets,
                      yellow, red, points
    rm_streak         (team, kind, which) PK — which: current or longest —, length, wins,
                      draws, losses, first_match, last_match
    rm_player         (team, player) PK, goals, penalties, own_goals, yellow, red
    rm_team_piece     (team, competition) PK, piece: a team's part of a competition that its
                      record, players and streaks sum (``projections.book.Piece`` as JSON),
                      so that a new process catching up need not fold the team's past; the
                      competition '' holds the kick-off order of the team's latest result and
                      its competitions (the rest of its ``projections.book.Summary`` is its
                      overall record and player rows)

Pieces, like snapshots, are a cache in a form that cannot run code (``projections.codec``):
rows that do not check out are not used, and the answer is recomputed from the log.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import attrs
import sqlite_utils

from matchledger.events.team import Team
from matchledger.ledger.jsontext import dumps_data, loads
from matchledger.projections.book import COUNTS, Book, Pair, Piece, Summary
from matchledger.projections.codec import (
    decode_piece,
    decode_summary,
    encode_piece,
    encode_summary,
)
from matchledger.projections.errors import StaleCache
from matchledger.projections.jsonify import to_json
from matchledger.projections.logreader import immediate
from matchledger.projections.records import (
    KINDS,
    PlayerRecord,
    Streak,
    StreakPair,
    Streaks,
    competition_teams,
    scorer_order,
)
from matchledger.projections.scoreboard import scoreboard
from matchledger.projections.snapshot import (
    PARTS,
    SCOPES,
    SNAPSHOT,
    create_snapshot_tables,
    has_snapshots,
)
from matchledger.projections.state import (
    Key,
    State,
    field_names,
    index,
)
from matchledger.projections.ties import bracket

CHECKPOINT = "rm_checkpoint"
CHECKPOINT_NAME = "projections"

PIECES = "rm_team_piece"  # what a team's rows are sums of, per competition (projections.book)
TABLES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "rm_competition": (
        {"competition": str, "name": str, "season": str, "format": str, "rules": str},
        ("competition",),
    ),
    "rm_team": (
        {"team": str, "name": str, "country": str, "aliases": str, "competitions": str},
        ("team",),
    ),
    "rm_scoreboard": (
        {"match": str, "competition": str, "round": str, "tie": str, "leg": int,
         "home": str, "away": str, "date": str, "kickoff": str, "status": str, "minute": int,
         "home_goals": int, "away_goals": int, "home_penalties": int, "away_penalties": int},
        ("match",),
    ),
    "rm_tie": (
        {"competition": str, "tie": str, "round": str, "side0": str, "side1": str,
         "aggregate0": int, "aggregate1": int, "winner": str, "decided_by": str, "json": str},
        ("competition", "tie"),
    ),
    "rm_bracket": ({"competition": str, "json": str}, ("competition",)),
    "rm_team_record": (
        {"team": str, "competition": str, "played": int, "won": int, "drawn": int, "lost": int,
         "goals_for": int, "goals_against": int, "clean_sheets": int, "yellow": int,
         "red": int, "points": int},
        ("team", "competition"),
    ),
    "rm_streak": (
        {"team": str, "kind": str, "which": str, "length": int, "wins": int, "draws": int,
         "losses": int, "first_match": str, "last_match": str},
        ("team", "kind", "which"),
    ),
    "rm_player": (
        {"team": str, "player": str, "goals": int, "penalties": int, "own_goals": int,
         "yellow": int, "red": int},
        ("team", "player"),
    ),
    PIECES: ({"team": str, "competition": str, "piece": bytes}, ("team", "competition")),
}
OVERALL = ""  # rm_team_record.competition of a team's record across all competitions

def checkpoint(db: sqlite_utils.Database) -> int | None:
    """The position the stored read models have caught up to; None if never built."""
    if CHECKPOINT not in db.table_names():
        return None
    row = db.execute(f"SELECT position FROM {CHECKPOINT} WHERE name = ?",
                     (CHECKPOINT_NAME,)).fetchone()
    return row[0] if row and type(row[0]) is int else None

# --- the read models as answers --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Current:
    """Every team, player record and team's streaks as the read models hold them, read in one
    transaction that found them caught up to the head of the log: what ``registered_teams``,
    ``players`` and ``streaks`` of the whole state give, without loading it."""

    teams: dict[str, Team]  # by id
    players: tuple[PlayerRecord, ...]  # top scorers first, as ``players`` sorts them
    streaks: dict[str, Streaks]  # of every registered team


def _texts(value: Any) -> tuple[str, ...]:
    """A JSON array of strings from a read-model row."""
    if type(value) is not list or not all(type(v) is str for v in value):
        raise TypeError("expected an array of strings")
    return tuple(value)


def _typed(row: Any, *kinds: type | tuple[type, ...]) -> bool:
    """Whether a row read back into a view holds values of the types its view has (what a
    hand-edited read model may not)."""
    return all(type(getattr(row, name)) in (kind if isinstance(kind, tuple) else (kind,))
               for name, kind in zip(field_names(type(row)), kinds, strict=True))


def stored_current(db: sqlite_utils.Database) -> Current | None:
    """Every team, player record and team's streaks as the rows hold them (the caller knows
    them caught up); None if they do not check out."""
    teams = {team: Team(id=team, name=name, country=country, aliases=_texts(loads(aliases)),
                        competitions=_texts(loads(competitions)))
             for team, name, country, aliases, competitions in db.execute(
                 "SELECT team, name, country, aliases, competitions FROM rm_team")}
    if not all(type(t.id) is type(t.name) is str and type(t.country) in (str, type(None))
               for t in teams.values()):
        return None
    streaks = _stored_streaks(db, teams)
    if streaks.keys() != teams.keys():  # every registered team has its rows, or rows are lost
        return None
    names = field_names(PlayerRecord)  # the columns _write_some_teams gave them
    counts = " AND ".join(f"typeof({n}) = 'integer'" for n in names[2:])
    if db.execute(f"SELECT 1 FROM rm_player WHERE NOT ({counts}) LIMIT 1").fetchone():
        return None  # a row not as written (its counts checked in SQL: one row per player)
    rows = db.execute(f"SELECT {', '.join(names)} FROM rm_player").fetchall()
    if not all(type(team) is str and type(player) is str for team, player, *_ in rows):
        return None
    records = [PlayerRecord(**dict(zip(names, values, strict=True))) for values in rows]
    return Current(teams=teams, players=tuple(sorted(records, key=scorer_order)),
                   streaks=streaks)

@attrs.define
class Dirty:
    """What a batch of events may have changed, to rewrite only those rows."""

    everything: bool = False
    matches: set[str] = attrs.Factory(set)
    competitions: set[str] = attrs.Factory(set)
    teams: set[str] = attrs.Factory(set)
    rules: set[str] = attrs.Factory(set)  # competitions whose rules (points) may have changed


def dirty_of(keys: Iterable[Key]) -> Dirty:
    dirty = Dirty()
    for key in keys:
        kind = key[0]
        if kind in ("match", "fixture"):
            dirty.matches.add(key[1])
        elif kind == "team":
            dirty.teams.add(key[1])
        elif kind in ("tie", "competition"):
            dirty.competitions.add(key[1])
            if kind == "competition":
                dirty.rules.add(key[1])
    return dirty

def ensure_tables(db: sqlite_utils.Database) -> None:
    """Create the read-model tables that do not exist yet (under the write lock, since another
    process may be appending or creating them at the same moment)."""
    if ({CHECKPOINT, SNAPSHOT, PARTS, SCOPES, *TABLES} <= set(db.table_names())
            and has_snapshots(db) and "hash" in db[CHECKPOINT].columns_dict):
        return
    with immediate(db):
        _create_tables(db)


def _create_tables(db: sqlite_utils.Database) -> None:
    if CHECKPOINT in db.table_names() and "hash" not in db[CHECKPOINT].columns_dict:
        db.execute(f"DROP TABLE {CHECKPOINT}")  # an older version's: its read models rebuilt
    db.table(CHECKPOINT).create({"name": str, "position": int, "format": int, "updated_at": str,
                                 "hash": str}, pk="name", if_not_exists=True)
    if create_snapshot_tables(db) and CHECKPOINT in db.table_names():
        db.execute(f"DELETE FROM {CHECKPOINT}")  # its read models went with the old snapshots
    _create_read_models(db)
    _create_indexes(db)


def _create_read_models(db: sqlite_utils.Database) -> None:
    for name, (columns, pk) in TABLES.items():
        db.table(name).create(columns, pk=pk if len(pk) > 1 else pk[0], if_not_exists=True)


def _create_indexes(db: sqlite_utils.Database) -> None:
    for name, column in (("rm_scoreboard", "home"), ("rm_scoreboard", "away"),
                         ("rm_scoreboard", "competition"), ("rm_player", "goals")):
        db.table(name).create_index([column], if_not_exists=True)

# --- writing rows ----------------------------------------------------------------------------


def write_rows(db: sqlite_utils.Database, state: State, dirty: Dirty, book: Book) -> None:
    idx = index(state)
    pairs: dict[Pair, set[str] | None] = {}  # (team, competition) whose matches changed
    if dirty.everything:  # from nothing: tables too, in case this fold's schema is new
        for name in TABLES:
            db.execute(f"DROP TABLE IF EXISTS {name}")
        _create_read_models(db)  # its indexes are made once the rows are in: cheaper
        matches = set(state.fixtures) | set(state.matches)
        competitions = set(state.competitions) | {c for c, _ in state.ties} | set(
            idx.by_competition)
        teams = set(state.teams) | set(idx.by_team)
    else:
        matches, competitions, teams, pairs = affected(db, state, dirty)
    _write_scoreboards(db, state, matches, dirty.everything)
    _write_competitions(db, state, competitions, dirty.everything)
    _write_teams(db, state, teams, pairs, set(dirty.teams), book, dirty.everything)
    if dirty.everything:
        _create_indexes(db)


def affected(db: sqlite_utils.Database, state: State, dirty: Dirty
             ) -> tuple[set[str], set[str], set[str], dict[Pair, set[str] | None]]:
    """The matches, competitions and teams whose rows ``dirty`` changes, and the (team,
    competition) pairs whose matches changed: of the matches as scheduled now, as the rows
    hold them and as they were before (``State.prior``), and of every team rated in a
    competition whose rules changed. Each pair comes with its matches that changed, or None
    when others may have too (its rules, or a match whose state before is not kept)."""
    matches, competitions, teams = dirty.matches, set(dirty.competitions), set(dirty.teams)
    pairs: dict[Pair, set[str] | None] = {}
    prior = state.prior
    was = {m: fx for m, (_, fx) in prior.items() if m in matches} if prior else {}
    scheduled = [(m, fx.competition, fx.home, fx.away) for m in matches
                 for fx in (state.fixtures.get(m), was.get(m)) if fx is not None]
    for match, competition, *sides in scheduled + stored_rows(
            db, "rm_scoreboard", "match", matches, "match, competition, home, away"):
        competitions.add(competition)
        for team in sides:
            if team:
                teams.add(team)
                changed = pairs.setdefault((team, competition), set())
                if changed is not None and prior is not None and match in prior:
                    changed.add(match)
                else:
                    pairs[team, competition] = None
    for competition in dirty.rules:
        competitions.add(competition)
        rated = set(competition_teams(state, competition)) | {
            row[0] for row in stored_rows(db, "rm_team_record", "competition", [competition],
                                          "team")}
        teams |= rated
        pairs.update(dict.fromkeys(((t, competition) for t in rated), None))
    return matches, competitions, teams, pairs


def ahead(db: sqlite_utils.Database, state: State, dirty: Dirty, book: Book) -> Current | None:
    """The answers ``current`` gives once the rows are caught up to ``state`` (folded from the
    stored checkpoint on, ``dirty`` naming what the new events changed), made in memory from
    the stored rows and those of the teams the new events change, as ``write_rows`` would
    rewrite them; nothing is written. None if the stored rows do not check out."""
    stored = stored_current(db)
    if stored is None:
        return None
    teams, streaks = dict(stored.teams), dict(stored.streaks)
    players = {(r.team, r.player): r for r in stored.players}
    _, _, changed, pairs = affected(db, state, dirty)
    idx = index(state)
    for team in sorted(changed):
        known = state.teams.get(team)
        if team in dirty.teams:  # its rm_team row rewritten, or gone with its registration
            if known is None:
                teams.pop(team, None)
            else:
                teams[team] = known
        if known is None and team not in idx.by_team:
            teams.pop(team, None)
            streaks.pop(team, None)
            players = {k: r for k, r in players.items() if k[0] != team}
            continue
        tables = book.team(state, team, pairs)
        gone = ({k for k in players if k[0] == team} if tables.first
                else {(team, p) for p in tables.changed_players})
        for key in gone:
            players.pop(key, None)
        players.update(((team, p), record) for p, record in tables.players.items())
        streaks[team] = tables.streaks
    if streaks.keys() != teams.keys():
        return None
    return Current(teams=teams, players=tuple(sorted(players.values(), key=scorer_order)),
                   streaks=streaks)


def _insert(db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Plain executemany, fed as the rows are made (a rebuild's scoreboards would otherwise
    sit in memory all at once): the rows are ours and the columns known, so no sniffing."""
    columns = list(TABLES[table][0])
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    db.conn.executemany(sql, (tuple(map(row.get, columns)) for row in rows))


def stored_rows(db: sqlite_utils.Database, table: str, column: str, keys: Collection[str],
            columns: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    keys = list(keys)
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        marks = ", ".join("?" * len(part))
        sql = f"SELECT {columns} FROM {table} WHERE {column} IN ({marks})"
        rows.extend(db.execute(sql, part).fetchall())
    return rows


def _delete(db: sqlite_utils.Database, table: str, column: str, keys: Collection[str]) -> None:
    keys = list(keys)
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        db.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join('?' * len(part))})",
                   part)


def _write_scoreboards(db: sqlite_utils.Database, state: State, matches: set[str],
                       fresh: bool) -> None:
    if not fresh:
        _delete(db, "rm_scoreboard", "match", matches)
    _insert(db, "rm_scoreboard", (_scoreboard_row(state, match) for match in sorted(matches)
                                  if match in state.fixtures or match in state.matches))


def _scoreboard_row(state: State, match: str) -> dict[str, Any]:
    board = scoreboard(state, match)
    data = to_json(board)
    pens = board.penalties or (None, None)
    return {"match": match, "competition": board.competition, "round": board.round,
            "tie": board.tie, "leg": board.leg, "home": board.home, "away": board.away,
            "date": data["date"], "kickoff": data["kickoff"], "status": board.status,
            "minute": board.minute, "home_goals": board.score[0],
            "away_goals": board.score[1], "home_penalties": pens[0],
            "away_penalties": pens[1]}


def _write_competitions(db: sqlite_utils.Database, state: State, competitions: set[str],
                        fresh: bool) -> None:
    if not fresh:
        for table in ("rm_competition", "rm_tie", "rm_bracket"):
            _delete(db, table, "competition", competitions)
    comp_rows, tie_rows, bracket_rows = [], [], []
    idx = index(state)
    for competition in sorted(competitions):
        comp = state.competitions.get(competition)
        if comp is not None:
            comp_rows.append({"competition": competition, "name": comp.name,
                              "season": comp.season, "format": comp.format.value,
                              "rules": dumps_data(attrs.asdict(comp.rules))})
        if not idx.ties.get(competition) and comp is None:
            continue
        view = bracket(state, competition)
        data = to_json(view)
        bracket_rows.append({"competition": competition, "json": dumps_data(data)})
        for rnd in data["rounds"]:
            for t in rnd["ties"]:
                agg = t["aggregate"] or (None, None)
                tie_rows.append({
                    "competition": competition, "tie": t["tie"], "round": t["round"],
                    "side0": dumps_data(t["sides"][0]), "side1": dumps_data(t["sides"][1]),
                    "aggregate0": agg[0], "aggregate1": agg[1], "winner": t["winner"],
                    "decided_by": t["decided_by"], "json": dumps_data(t)})
    _insert(db, "rm_competition", comp_rows)
    _insert(db, "rm_tie", tie_rows)
    _insert(db, "rm_bracket", bracket_rows)


TEAMS_PER_WRITE = 200  # a rebuild's team rows are written a few teams at a time, not held


def _write_teams(db: sqlite_utils.Database, state: State, teams: set[str],
                 pairs: Mapping[Pair, set[str] | None], registered: set[str], book: Book,
                 fresh: bool) -> None:
    """Rewrite the rows of ``teams`` that ``pairs`` changed (all of them when ``fresh``), and
    the ``rm_team`` rows of those ``registered`` again."""
    ordered = sorted(teams)
    for start in range(0, len(ordered), TEAMS_PER_WRITE):
        _write_some_teams(db, state, ordered[start:start + TEAMS_PER_WRITE], pairs,
                          registered, book, fresh)


def _write_some_teams(db: sqlite_utils.Database, state: State, teams: list[str],
                      pairs: Mapping[Pair, set[str] | None], registered: set[str], book: Book,
                      fresh: bool) -> None:
    idx = index(state)
    team_rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    streak_rows: list[dict[str, Any]] = []
    player_rows: list[dict[str, Any]] = []
    piece_rows: list[dict[str, Any]] = []
    stale_records: list[tuple[str, str]] = []
    stale_pieces: list[tuple[str, str]] = []
    stale_players: list[tuple[str, str]] = []
    streaked: list[tuple[str, str, str]] = []  # the streak rows rewritten
    for team in teams:
        known = state.teams.get(team)
        if known is not None and (fresh or team in registered):
            team_rows.append({"team": team, "name": known.name, "country": known.country,
                              "aliases": dumps_data(list(known.aliases)),
                              "competitions": dumps_data(list(known.competitions))})
        if known is None and team not in idx.by_team:
            book.forget(team)
            for table in ("rm_team_record", "rm_streak", "rm_player", PIECES):
                db.execute(f"DELETE FROM {table} WHERE team = ?", (team,))
            continue
        tables = book.team(state, team, pairs)
        if tables.first and not fresh:  # whatever the rows hold, they are all rewritten
            for table in ("rm_team_record", "rm_player", PIECES):
                db.execute(f"DELETE FROM {table} WHERE team = ?", (team,))
        # only the rows that changed are rewritten (all of them when the team is first seen)
        rewritten = set(tables.records) if tables.first else tables.changed_records
        overall = {OVERALL} if tables.changed_overall else set()
        stale_records += [(team, c) for c in
                          (rewritten | tables.removed_competitions | overall)]
        records += [_flat(tables.overall, competition=OVERALL) for _ in overall]
        records += [_flat(tables.records[c], competition=c) for c in sorted(rewritten)]
        summary = {OVERALL} if tables.changed_summary else set()
        stale_pieces += [(team, c) for c in
                         (tables.pieces.keys() | tables.removed_competitions | summary)]
        piece_rows += [{"team": team, "competition": c, "piece": encode_piece(piece)}
                       for c, piece in tables.pieces.items()]
        # the rest of its Summary is in its rows: its overall record and its players
        piece_rows += [{"team": team, "competition": OVERALL,
                        "piece": encode_summary(tables.last, tables.competitions)}
                       for _ in summary]
        for kind, which in sorted(tables.changed_streaks):
            streaked.append((team, kind, which))
            streak_rows.append(_flat(getattr(getattr(tables.streaks, kind), which), team=team,
                                     kind=kind, which=which))
        stale_players += [(team, p) for p in tables.changed_players]
        player_rows += [_flat(tables.players[p]) for p in sorted(tables.players)]
    if not fresh:
        _delete(db, "rm_team", "team", registered.intersection(teams))
        db.conn.executemany("DELETE FROM rm_streak WHERE team = ? AND kind = ? AND which = ?",
                            streaked)
        db.conn.executemany("DELETE FROM rm_team_record WHERE team = ? AND competition = ?",
                            stale_records)
        db.conn.executemany("DELETE FROM rm_player WHERE team = ? AND player = ?",
                            stale_players)
        db.conn.executemany(f"DELETE FROM {PIECES} WHERE team = ? AND competition = ?",
                            stale_pieces)
    _insert(db, "rm_team", team_rows)
    _insert(db, "rm_team_record", records)
    _insert(db, "rm_streak", streak_rows)
    _insert(db, "rm_player", player_rows)
    _insert(db, PIECES, piece_rows)


@attrs.frozen
class StoredPieces:
    """The pieces of each team as the read models were written with them, and their sums:
    the team's overall record and player rows, its streak rows, and beside its pieces the
    kick-off order of its latest result and its competitions. StaleCache at any of them that
    does not check out (``projections.codec``)."""

    db: sqlite_utils.Database

    def summary(self, team: str) -> tuple[Summary, Streaks | None] | None:
        row = self.db.execute(f"SELECT piece FROM {PIECES} WHERE team = ? AND competition = ?",
                              (team, OVERALL)).fetchone()
        overall = self.db.execute(
            f"SELECT {', '.join(COUNTS)} FROM rm_team_record WHERE team = ? AND competition = ?",
            (team, OVERALL)).fetchone()
        if row is None or overall is None:
            return None
        names = field_names(PlayerRecord)[2:]  # after team and player
        players = {(team, player): {n: v for n, v in zip(names, counts, strict=True) if v}
                   for player, *counts in self.db.execute(
                       f"SELECT player, {', '.join(names)} FROM rm_player WHERE team = ?",
                       (team,))}
        if not all(type(v) is int for v in overall) or not all(
                type(p) is str and all(type(v) is int for v in counts.values())
                for (_, p), counts in players.items()):
            raise StaleCache(f"the rows of {team!r} do not check out")
        summary = decode_summary(row[0], team, dict(zip(COUNTS, overall, strict=True)),
                                 players)
        return summary, _stored_streaks(self.db, [team]).get(team)

    def pieces(self, team: str, competitions: Collection[str]) -> dict[str, Piece]:
        return {competition: decode_piece(blob, team, competition)
                for competition, blob in self.db.execute(
                    f"SELECT competition, piece FROM {PIECES} WHERE team = ? AND competition "
                    "IN (SELECT value FROM json_each(?))",
                    (team, dumps_data(sorted(competitions))))}


def _stored_streaks(db: sqlite_utils.Database, teams: Collection[str]) -> dict[str, Streaks]:
    """The streaks of ``teams`` as ``rm_streak`` holds them; a team missing any row is left
    out; StaleCache at a row that is not one ``_write_some_teams`` could have written."""
    names = field_names(Streak)  # the columns _write_some_teams gave them
    pairs: dict[str, dict[str, dict[str, Streak]]] = {}
    for team, kind, which, *values in db.execute(
            f"SELECT team, kind, which, {', '.join(names)} FROM rm_streak "
            "WHERE team IN (SELECT value FROM json_each(?))", (dumps_data(list(teams)),)):
        streak = Streak(**dict(zip(names, values, strict=True)))
        if (kind not in KINDS or which not in ("current", "longest")
                or not _typed(streak, int, int, int, int, (str, type(None)), (str, type(None)))):
            raise StaleCache(f"a streak row of {team!r} does not check out")
        pairs.setdefault(team, {}).setdefault(kind, {})[which] = streak
    return {team: Streaks(team=team, **{k: StreakPair(**pair) for k, pair in kinds.items()})
            for team, kinds in pairs.items()
            if set(kinds) == set(KINDS) and all(len(pair) == 2 for pair in kinds.values())}


def _flat(view: Any, **columns: Any) -> dict[str, Any]:
    """A flat view's fields as a row, with ``columns`` added or replaced (what
    ``attrs.asdict`` gives, without its recursion, which cost more than the write)."""
    return {**{n: getattr(view, n) for n in field_names(type(view))}, **columns}

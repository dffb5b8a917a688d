"""JSON Lines in and out: drafts or full envelopes, one per line.

A line needs ``stream``, ``type``, ``data`` and ``occurred_at`` (ISO 8601 with an offset);
``event_id``, ``recorded_at``, ``meta`` and ``schema_version`` are optional (an imported line
without an id gets one made of what it says). An exported envelope has all of these plus
position, version and hashes, and imports back unchanged, its hash checked.

    {"stream": "match:uel24-qf2-leg1", "type": "GoalScored",
     "data": {"team": "atalanta", "player": "Scamaca", "minute": 38},
     "occurred_at": "2024-04-11T20:38:00+01:00"}
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import attrs

from matchledger.events import schema_version
from matchledger.ledger.envelope import Draft, to_micros
from matchledger.ledger.errors import InvalidEvent, LedgerError
from matchledger.ledger.eventstore import (
    StoredDraft,
    StreamRun,
    chain_hash,
    iso,
    stored_texts,
    unlike_written,
)
from matchledger.ledger.jsontext import dumps_data, loads
from matchledger.ledger.limits import check_time
from matchledger.ledger.store import Ledger
from matchledger.ledger.validate import decode_data

# the namespace of the ids given to imported events sent without one
_IMPORTED = uuid.uuid5(uuid.NAMESPACE_URL, "matchledger:jsonl-import")


@attrs.frozen
class ImportReport:
    added: int
    skipped: int  # already in the ledger (same event_id): importing twice adds nothing


def parse_time(value: Any, field: str) -> dt.datetime:
    """An ISO 8601 time with its UTC offset; a bare date or a naive time is refused."""
    if not isinstance(value, str):
        raise InvalidEvent(f"{field}: expected an ISO 8601 time with offset, got {value!r}")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as e:
        reason = "its UTC offset is past ±24:00" if "offset must be" in str(e) else str(e)
        raise InvalidEvent(f"{field}: {value!r} is not an ISO 8601 time: {reason}") from e
    if moment.tzinfo is None:
        raise InvalidEvent(f"{field}: {value!r} has no UTC offset (add Z or +02:00)")
    return check_time(moment, field)


def parse_draft(obj: Any, name: Callable[[str, str], str] | None = None
                ) -> tuple[str, Draft]:
    """(stream, draft) from one decoded JSON object; a bad field is a one-line InvalidEvent.
    ``name`` gives the id of an event sent without one, from its stream and a text of all it
    says (else the draft gets a new random id)."""
    if not isinstance(obj, dict):
        raise InvalidEvent("expected a JSON object")
    for field, kind in (("stream", str), ("type", str), ("data", dict)):
        if field not in obj:
            raise InvalidEvent(f"missing field {field!r}")
        if not isinstance(obj[field], kind):
            article = "a string" if kind is str else "an object"
            raise InvalidEvent(f"field {field!r} must be {article}")
    if "occurred_at" not in obj:
        raise InvalidEvent("missing field 'occurred_at'")
    type_name, data = obj["type"], obj["data"]
    version = obj.get("schema_version", schema_version(type_name))
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidEvent("field 'schema_version' must be an integer")
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise InvalidEvent("field 'meta' must be an object")
    event = decode_data(type_name, version, data)
    fields: dict[str, Any] = {
        "event": event,
        "occurred_at": parse_time(obj["occurred_at"], "occurred_at"),
        "meta": meta,
    }
    if obj.get("recorded_at") is not None:
        fields["recorded_at"] = parse_time(obj["recorded_at"], "recorded_at")
    if obj.get("event_id") is not None:
        if not isinstance(obj["event_id"], str) or not obj["event_id"]:
            raise InvalidEvent("field 'event_id' must be a non-empty string")
        fields["event_id"] = obj["event_id"]
    elif name is not None:
        said = {k: obj.get(k) for k in ("type", "data", "occurred_at", "recorded_at", "meta")}
        said["schema_version"] = version
        for moment in ("occurred_at", "recorded_at"):
            if moment in fields:
                said[moment] = to_micros(fields[moment])
        fields["event_id"] = name(obj["stream"], dumps_data(said))
    if "hash" in obj:
        _check_hash(obj, fields, version)
    return obj["stream"], StoredDraft(stored=(type_name, version, data), **fields)


def _check_hash(obj: dict[str, Any], fields: dict[str, Any], schema: int) -> None:
    """Refuse an exported envelope whose hash does not cover what the line now says: a line
    changed after export (its hash left as it was, or made up) is not the event exported."""
    try:
        prev, digest = bytes.fromhex(obj["prev_hash"]), bytes.fromhex(obj["hash"])
        position, version = obj["position"], obj["version"]
        made = chain_hash(prev, position, fields["event_id"], obj["stream"], version,
                          obj["type"], schema,
                          to_micros(fields["occurred_at"]), to_micros(fields["recorded_at"]),
                          *stored_texts(obj["data"], obj.get("meta")))
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidEvent("an exported envelope needs its position, version, event_id, "
                           "recorded_at and hex prev_hash and hash to be checked") from e
    if made != digest:
        raise InvalidEvent(f"event {fields['event_id']}: its hash does not match its content: "
                           "the line was changed after export")


def load_json(text: str) -> Any:
    """The value of a JSON text; malformed (or nested too deeply) is a one-line InvalidEvent."""
    try:
        return loads(text)
    except json.JSONDecodeError as e:
        raise InvalidEvent(f"malformed JSON: {e}") from e


def parse_json(text: str, name: Callable[[str, str], str] | None = None
               ) -> tuple[str, Draft]:
    return parse_draft(load_json(text), name)


def _namer() -> Callable[[str, str], str]:
    """Ids for the events of one file sent without one, made of what each says: importing the
    file twice adds nothing. The n-th of several lines saying the very same thing is the n-th
    such event (two kicks of unnamed takers at one moment, say), not a repeat."""
    seen: Counter[tuple[str, str]] = Counter()

    def name(stream: str, said: str) -> str:
        seen[stream, said] += 1
        return str(uuid.uuid5(_IMPORTED, f"{stream}\x1f{said}\x1f{seen[stream, said]}"))

    return name


def import_lines(ledger: Ledger, lines: Iterable[str], *,
                 progress: Callable[[int], None] | None = None,
                 batch: int = 1000) -> ImportReport:
    """Append every line in one transaction: the whole file goes in, or none of it."""
    runs = (StreamRun(stream, [d for _, d in group], cited=[f"line {n}" for n, _ in group])
            for stream, group in _groups(lines, batch))
    # ids looked up ``batch`` lines at a time: most imports are of fresh events
    done = ledger.append_batch(runs, lookup=batch, progress=progress)
    return ImportReport(done.added, done.skipped)


def _groups(lines: Iterable[str], size: int) -> Iterator[tuple[str, list[tuple[int, Draft]]]]:
    """Runs of consecutive lines of one stream, at most ``size`` long, numbered from 1."""
    stream: str | None = None
    group: list[tuple[int, Draft]] = []
    name = _namer()
    for number, line in enumerate(lines, 1):
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark, as editors on Windows write
        if not line.strip():
            continue
        try:
            line_stream, draft = parse_json(line, name)
        except LedgerError as e:
            raise type(e)(f"line {number}: {e}") from e
        if group and (line_stream != stream or len(group) >= size):
            yield stream, group  # type: ignore[misc]
            group = []
        stream = line_stream
        group.append((number, draft))
    if group:
        yield stream, group  # type: ignore[misc]


def export_lines(ledger: Ledger, out: IO[str], **filters: Any) -> int:
    """Write envelopes as JSON Lines, exactly as stored (no upcasting); returns the count.

    What the time filters keep is a log a fresh ledger imports (``eventstore.in_time``),
    unless ``at_position`` cuts an amendment in two (``amendments_whole`` says so)."""
    count = 0
    for row in ledger.read_stored(**filters):
        (position, event_id, stream, version, type_name, schema, occurred, recorded, data,
         meta, prev_hash, digest) = row
        if type(data) is not str or not (meta is None or type(meta) is str):
            raise unlike_written(TypeError("data or meta is not text"), position)
        try:
            head = dumps_data({
                "position": position, "event_id": event_id, "stream": stream,
                "version": version, "type": type_name, "schema_version": schema,
                "occurred_at": iso(occurred), "recorded_at": iso(recorded)})
            hashes = f'"prev_hash":"{bytes(prev_hash).hex()}","hash":"{bytes(digest).hex()}"'
        except (TypeError, ValueError, OverflowError) as e:
            raise unlike_written(e, position) from e
        # data and meta are stored as the compact JSON text a line holds: put in as they are
        out.write(f'{head[:-1]},"data":{data},"meta":{meta or "{}"},{hashes}}}\n')
        count += 1
    return count


def amendments_whole(ledger: Ledger, **filters: Any) -> None:
    """Refuse to export up to a position between an amendment's retraction and its
    replacement: the retraction alone is no event a ledger admits."""
    bound = filters.get("at_position")
    if bound is None:
        return
    amendments = [(env, replacement)
                  for env in ledger.read(**{**filters, "types": ["EventRetracted"]})
                  if (replacement := getattr(env.event, "replacement", None))]
    stored = ledger.by_ids(list(dict.fromkeys(r for _, r in amendments)))  # one lookup
    for env, replacement in amendments:
        found = stored.get(replacement)
        if found is not None and found.position > bound:
            raise LedgerError(f"position {bound} cuts an amendment in two (its retraction at "
                              f"{env.position}, its replacement at {found.position}): give "
                              f"{env.position - 1} or {found.position}")


def import_file(ledger: Ledger, path: str, **options: Any) -> ImportReport:
    """Import a JSON Lines file (``-`` for standard input) in one transaction."""
    import sys

    if path == "-":
        return import_lines(ledger, sys.stdin, **options)
    with open(path, encoding="utf-8") as lines:
        return import_lines(ledger, lines, **options)

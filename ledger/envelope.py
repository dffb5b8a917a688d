"""What the ledger stores around an event: stream, version, position, the two clocks, the hash.

Times are kept as integer microseconds since the epoch, UTC, so that ordering and ``as_of``
filters are integer comparisons; the local offset of a kick-off lives in the event itself.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from matchledger.events import Event
from matchledger.ledger.errors import InvalidEvent
from matchledger.ledger.jsontext import loads
from matchledger.ledger.limits import check_draft

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: dt.datetime) -> int:
    """Microseconds since the epoch; a naive datetime is refused (times carry their offset)."""
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no UTC offset")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(0, 0, micros)  # positional: a third cheaper, on every read


def new_event_id() -> str:
    return str(uuid.uuid4())


@attrs.frozen(kw_only=True)
class Draft:
    """An event on its way in: the fact, when it happened, and optionally who sent it.

    ``event_id`` makes re-sending idempotent; ``recorded_at`` is normally the ledger's clock and
    is given only when importing a log that already has one.
    """

    event: Event
    occurred_at: dt.datetime
    event_id: str = attrs.field(factory=new_event_id)
    meta: Mapping[str, Any] = attrs.field(factory=dict)
    recorded_at: dt.datetime | None = None

    def __attrs_post_init__(self) -> None:
        """Refuse a draft out of the ledger's bounds as it is made, before any lock is taken:
        every path in (the CLI, JSON, the importers, the API) makes one."""
        check_draft(self.event_id, self.event, self.meta, self.occurred_at, self.recorded_at)


class StoredMeta(Mapping[str, Any]):
    """An envelope's meta as stored (JSON text), parsed on first use: a rebuild or a time
    travel reads a million envelopes and never looks at their meta."""

    __slots__ = ("_text", "_value")

    def __init__(self, text: str) -> None:
        self._text = text
        self._value: dict[str, Any] | None = None

    def _parsed(self) -> dict[str, Any]:
        if self._value is None:
            try:
                self._value = loads(self._text)
            except ValueError as e:
                raise InvalidEvent(f"stored meta is not JSON ({e}): the ledger file was "
                                   "changed outside matchledger (matchledger verify shows "
                                   "where)") from e
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def __repr__(self) -> str:
        return repr(self._parsed())


@attrs.frozen(kw_only=True)
class Envelope:
    """An event as stored: read back from the ledger, in position order."""

    position: int
    event_id: str
    stream: str
    version: int
    type: str
    schema_version: int
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    event: Event
    meta: Mapping[str, Any]
    prev_hash: str
    hash: str

    @property
    def stream_id(self) -> str:
        """The id after the stream's kind: ``match:qf1-leg1`` -> ``qf1-leg1``."""
        return self.stream.partition(":")[2]

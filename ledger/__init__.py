"""The append-only store of matchledger: SQLite through sqlite-utils.

    ledger = Ledger("matchledger.db")
    ledger.append("match:uel24-qf2-leg1", [Draft(event=GoalScored(...), occurred_at=...)],
                  expected_version=5)
    ledger.append_batch([StreamRun("competition:c", drafts), StreamRun("match:m", more)])
    for env in ledger.read(stream="match:uel24-qf2-leg1", as_of=...):
        ...

``EventStore`` (``ledger.eventstore``) is the store alone: appends, batches, reads, versions,
idempotency, the hash chain and its checks (anchors, signed checkpoints), with no rules;
``Ledger`` is that store with the judge (``ledger.validate``) deciding on admission inside its
transactions (``Admission``), and judging every event again in ``verify``.
"""

from matchledger.events.team import Team
from matchledger.ledger.envelope import Draft, Envelope, from_micros, new_event_id, to_micros
from matchledger.ledger.errors import (
    ConcurrencyConflict,
    DuplicateEvent,
    InvalidEvent,
    LedgerError,
    NotALedger,
    RuleBroken,
    UnknownMatch,
    UnknownTeam,
)
from matchledger.ledger.eventstore import (
    NO_STREAM,
    Admission,
    AdmitAll,
    Appended,
    BatchAppended,
    EventStore,
    StoredDraft,
    StreamRun,
    VerifyReport,
)
from matchledger.ledger.io import (
    ImportReport,
    amendments_whole,
    export_lines,
    import_file,
    import_lines,
    load_json,
    parse_draft,
    parse_json,
    parse_time,
)
from matchledger.ledger.store import Ledger, new_ledger
from matchledger.ledger.teams import Registry, normalise
from matchledger.ledger.trust import (
    Anchor,
    Checkpoint,
    TrustError,
    load_private_key,
    load_public_key,
    make_keys,
    whole_file,
)

__all__ = [
    "NO_STREAM",
    "Anchor",
    "Admission",
    "AdmitAll",
    "Appended",
    "BatchAppended",
    "Checkpoint",
    "ConcurrencyConflict",
    "Draft",
    "DuplicateEvent",
    "Envelope",
    "EventStore",
    "ImportReport",
    "InvalidEvent",
    "Ledger",
    "LedgerError",
    "NotALedger",
    "Registry",
    "RuleBroken",
    "StoredDraft",
    "StreamRun",
    "Team",
    "TrustError",
    "UnknownMatch",
    "UnknownTeam",
    "VerifyReport",
    "amendments_whole",
    "export_lines",
    "from_micros",
    "import_file",
    "import_lines",
    "load_json",
    "load_private_key",
    "load_public_key",
    "make_keys",
    "new_ledger",
    "new_event_id",
    "normalise",
    "parse_draft",
    "parse_json",
    "parse_time",
    "to_micros",
    "whole_file",
]

"""The append-only store of matchledger: SQLite through sqlite-utils.

    ledger = Ledger("matchledger.db")
    ledger.append("match:uel24-qf2-leg1", [Draft(event=GoalScored(...), occurred_at=...)],
                  expected_version=5)
    for env in ledger.read(stream="match:uel24-qf2-leg1", as_of=...):
        ...
"""

from ledger.envelope import Draft, Envelope, from_micros, new_event_id, to_micros
from ledger.errors import (
    ConcurrencyConflict,
    DuplicateEvent,
    InvalidEvent,
    LedgerError,
    NotALedger,
    RuleBroken,
    UnknownMatch,
    UnknownTeam,
)
from ledger.io import (
    ImportReport,
    export_lines,
    import_file,
    import_lines,
    load_json,
    parse_draft,
    parse_json,
    parse_time,
)
from ledger.store import (
    NO_STREAM,
    Appended,
    BatchAppended,
    Ledger,
    StoredDraft,
    StreamRun,
    VerifyReport,
    new_ledger,
)
from ledger.teams import Registry, Team, normalise
from ledger.trust import (
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
    "Appended",
    "BatchAppended",
    "Checkpoint",
    "ConcurrencyConflict",
    "Draft",
    "DuplicateEvent",
    "Envelope",
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

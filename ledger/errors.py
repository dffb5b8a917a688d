"""The ledger's errors: one root, one-line subclasses; each message names what went wrong."""

from __future__ import annotations


class LedgerError(Exception):
    """Something the ledger refused or could not do; nothing was written."""

    index: int | None = None  # which event of a batch was refused, when known


class NotALedger(LedgerError):
    """The file is not a matchledger database"""


class ConcurrencyConflict(LedgerError):
    """The stream moved on since the writer last read it"""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(
            f"conflict on {stream}: expected version {expected}, but it is at {actual}"
        )
        self.stream, self.expected, self.actual = stream, expected, actual


class DuplicateEvent(LedgerError):
    """An event id was sent again with different content"""


class InvalidEvent(LedgerError):
    """The event is malformed: bad JSON, unknown type, missing or mistyped field"""


class OutOfBounds(InvalidEvent):
    """A time, number or text beyond what the ledger holds (see ledger.limits)"""


class UnknownTeam(InvalidEvent):
    """No registered team has that name or alias"""


class UnknownMatch(InvalidEvent):
    """No fixture was scheduled for that match"""


class RuleBroken(InvalidEvent):
    """The event cannot happen in the match or competition as recorded so far"""

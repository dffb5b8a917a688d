"""The projections' errors: one root, one-line subclasses whose message names what is unknown."""

from __future__ import annotations


class ProjectionError(Exception):
    """A projection could not answer: something asked for is not in the log (as of then)."""


class UnknownMatch(ProjectionError):
    """No fixture and no event for that match"""


class UnknownTie(ProjectionError):
    """No tie of that id was drawn"""


class AmbiguousTie(ProjectionError):
    """That tie id was drawn in several competitions: name the competition"""


class UnknownCompetition(ProjectionError):
    """No competition of that id was created"""


class UnknownTeam(ProjectionError):
    """No team of that id is registered or plays in any fixture"""


class CheckpointMoved(ProjectionError):
    """Another process moved the read models on while this one was catching up"""


class StaleCache(ProjectionError):
    """Derived state (a snapshot, a read-model piece) that does not check out: recomputed
    from the log"""


class UnknownEvent(ProjectionError):
    """No event of the match that a reference (an id, a prefix of one, "last") names"""


class UnknownRound(ProjectionError):
    """No fixture of that round in the competition"""

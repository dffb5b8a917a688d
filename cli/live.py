"""A match as it stands now, or at a moment, folded from only what it needs.

During a match every append prints the new score line, and ``log --follow`` prints it after
each event. Folding the whole log for that would grow with the log, so this takes the part of
the state of the match's competition (``projections.state_at(..., competition=)``): the
match, the other legs of its tie, the teams' names.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matchledger.ledger import Ledger
    from matchledger.projections import Scoreboard, State, TieView
    from matchledger.projections.query import Hot


def current_match(lg: Ledger, match: str, moment: dt.datetime | None = None, *,
                  hot: Hot | None = None, **filters: Any
                  ) -> tuple[State, Scoreboard, TieView | None]:
    """(state, scoreboard, tie) of ``match``, at the head of the log or as ``filters`` say
    (``as_of``, ``known_at``, ``at_position``), its clock at ``moment`` (default: ``as_of``,
    else now); a match never scheduled is an error that suggests the ids scheduled by then.
    ``hot``: a fold of the match's competition kept by a caller that asks again."""
    from matchledger.projections import query

    found = query.match(lg, match, moment=moment, hot=hot, **filters)
    return found.state, found.board, found.tie


def match_fold(lg: Ledger, match: str | None) -> Hot | None:
    """A fold of ``match``'s competition to ask about the match more than once (is it live,
    what is the score after the append), loaded at the first ask and caught up at each."""
    from matchledger.projections.query import Hot

    competition = lg.competition_of(match) if match is not None else None
    return Hot(lg, competition=competition) if competition is not None else None

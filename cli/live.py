"""A match as it stands now, folded from only the streams it needs.

During a match every append prints the new score line, and ``log --follow`` prints it after
each event. Folding the whole log for that would grow with the log, so this folds the
competition streams, the match's own stream and those of the other legs of its tie.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger import Envelope, Ledger
    from projections import Scoreboard, State, TieView


def current_match(lg: Ledger, match: str) -> tuple[State, Scoreboard, TieView | None]:
    """(state, scoreboard, tie) of ``match`` from the head of the log."""
    from cli.views import match_views
    from projections import fold_all

    def position(env: Envelope) -> int:
        return env.position

    state = fold_all(heapq.merge(lg.read(prefix="competition:"),
                                 lg.read(stream=f"match:{match}"), key=position))
    board, view = match_views(state, match)
    others = [leg.match for leg in view.legs if leg.match != match] if view else []
    if others:
        fold_all(heapq.merge(*(lg.read(stream=f"match:{m}") for m in others), key=position),
                 state)
        board, view = match_views(state, match)
    return state, board, view

"""The penalty shoot-out: when it is decided, and the scores it can end at.

Five rounds of a kick each, stopped as soon as one side cannot catch up; then sudden death in
pairs until a pair ends uneven (IFAB Law 10).

    >>> shootout_over(taken=(3, 3), scored=(3, 0))
    True
    >>> shootout_can_end((4, 0)), shootout_can_end((3, 0)), shootout_can_end((8, 7))
    (False, True, True)
"""

from __future__ import annotations

import functools

SHOOTOUT_ROUNDS = 5


def shootout_over(taken: tuple[int, int], scored: tuple[int, int]) -> bool:
    """Whether a shoot-out with these kicks taken and scored by each side is decided: one
    side cannot catch up in the five rounds, or a round of sudden death ended uneven."""
    if taken[0] < SHOOTOUT_ROUNDS or taken[1] < SHOOTOUT_ROUNDS:
        left = (SHOOTOUT_ROUNDS - taken[0], SHOOTOUT_ROUNDS - taken[1])
        return scored[0] + left[0] < scored[1] or scored[1] + left[1] < scored[0]
    return taken[0] == taken[1] and scored[0] != scored[1]


def shootout_can_end(score: tuple[int, int]) -> bool:
    """Whether a shoot-out can end at ``score``: by one in sudden death, any score; by more,
    only as the five rounds stop once one side cannot catch up (3-0, but never 4-0)."""
    return abs(score[0] - score[1]) == 1 or score in _five_round_ends()


@functools.cache  # worked out at the first reported shoot-out, not at every start-up
def _five_round_ends() -> frozenset[tuple[int, int]]:
    ends: set[tuple[int, int]] = set()

    def kick(taken: tuple[int, int], scored: tuple[int, int], side: int) -> None:
        if shootout_over(taken, scored):
            ends.add(scored)
        elif taken[side] < SHOOTOUT_ROUNDS:
            for goal in (0, 1):
                kick(_plus(taken, side, 1), _plus(scored, side, goal), 1 - side)

    for first in (0, 1):
        kick((0, 0), (0, 0), first)
    return frozenset(ends)


def _plus(pair: tuple[int, int], side: int, n: int) -> tuple[int, int]:
    return (pair[0] + n, pair[1]) if side == 0 else (pair[0], pair[1] + n)

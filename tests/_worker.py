"""Run in a subprocess by the concurrency and crash tests (not collected by pytest).

    python tests/_worker.py append DB STREAM COUNT   # one goal per transaction, retry on conflict
    python tests/_worker.py batch DB STREAM COUNT    # one batch of COUNT goals, prints "go" first
"""

from __future__ import annotations

import datetime as dt
import sys

from matchledger.events import GoalScored
from matchledger.ledger import ConcurrencyConflict, Draft, Ledger

WHEN = dt.datetime(2024, 4, 11, 19, 30, tzinfo=dt.UTC)


def goal(team: str) -> Draft:
    return Draft(event=GoalScored(team=team), occurred_at=WHEN)


def main(mode: str, path: str, stream: str, count: int) -> None:
    lg = Ledger(path)
    if mode == "append":
        done = retries = 0
        while done < count:
            try:
                lg.append(stream, [goal("benfica")], expected_version=lg.stream_version(stream))
                done += 1
            except ConcurrencyConflict:
                retries += 1
        print(retries)
    else:
        batch = [goal("marseille") for _ in range(count)]
        print("go", flush=True)
        lg.append(stream, batch)
        print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))

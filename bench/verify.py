"""Verify: ``Ledger.verify`` over the whole generated ledger, against a raw hash pass.

The baseline is the least a check of the chain must do: ``SELECT`` every row in position
order and sha256 the same columns the ledger's hash covers, each hash over the one before
(``ledger.eventstore.chain_hash``'s input, written out here). Two rows of ours:

- **the chain** (``verify(rules=False)``, ``matchledger verify --no-rules``): positions
  gapless, every hash recomputed and compared (a format 1 file's stored ``prev_hash`` against the
  row before), each
  stream's versions, the stored checkpoints, the append-only triggers;
- **the chain and the rules** (``verify()``, what ``matchledger verify`` does by default):
  the same, and every event decoded and judged again by the rules that admit appends, as the
  log stood before it — a fold of the whole log through the judge, which no hash pass does.

Target: at least half the baseline's speed, on both.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time

from bench.harness import COLUMNS, Context, Result, measure
from matchledger.ledger import Ledger
from matchledger.ledger.eventstore import GENESIS

TARGET = 0.5


def raw_chain(path: str) -> float:
    """Seconds to select every row in order and chain sha256 over its columns."""
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    sha256, prev = hashlib.sha256, GENESIS
    for (position, event_id, stream, version, type_name, schema, occurred, recorded, data,
         meta, _hash) in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY position"):
        text = "\x1f".join((str(position), event_id, stream, str(version), type_name,
                            str(schema), str(occurred), str(recorded), data, meta or ""))
        prev = sha256(prev + text.encode()).digest()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def ours(path: str, *, rules: bool) -> float:
    with Ledger(path, verifying=True) as ledger:
        start = time.perf_counter()
        report = ledger.verify(rules=rules)
        elapsed = time.perf_counter() - start
    if not report.ok:
        raise AssertionError(f"verify failed on the generated ledger: {report}")
    return elapsed


@measure("verify")
def verify_rows(ctx: Context) -> list[Result]:
    path = str(ctx.full_ledger())
    n = ctx.events
    ctx.log(f"verify: {n:,} events, the chain alone and with the rules, {ctx.repeat} runs of "
            "the chain, one with the rules")
    chain, raw = ctx.best_of(lambda: ours(path, rules=False), lambda: raw_chain(path))
    saved, ctx.repeat = ctx.repeat, 1  # tens of seconds at a million: one run each side
    try:
        judged, raw_again = ctx.best_of(lambda: ours(path, rules=True), lambda: raw_chain(path))
    finally:
        ctx.repeat = saved
    raw.runs += raw_again.runs
    label = "sqlite3 SELECT every row + sha256 chained over the same columns"
    return [
        Result(measure="verify --no-rules: hash chain, positions, versions", unit="events/s",
               ours=n / chain.best, baseline=n / raw.best, target=TARGET,
               baseline_label=label,
               compares="ours reads every row, recomputes its hash and compares it and "
                        "prev_hash, checks positions gapless and each stream's versions, "
                        "the checkpoints and the triggers, and skips decoding the events; "
                        "the baseline only selects and hashes",
               notes={"events": n, "ours": chain.summary(n), "baseline": raw.summary(n)}),
        Result(measure="verify: the chain and every event judged by the rules",
               unit="events/s", ours=n / judged.best, baseline=n / raw.best, target=TARGET,
               baseline_label=label,
               compares="ours does all of the --no-rules row, and decodes every event and "
                        "judges it again by the rules that admit appends, against the log "
                        "as it stood before it (the judge's fold of the whole log); the "
                        "baseline only selects and hashes",
               notes={"events": n, "ours": judged.summary(n), "baseline": raw.summary(n)}),
    ]


__all__ = ["TARGET", "raw_chain", "verify_rows"]

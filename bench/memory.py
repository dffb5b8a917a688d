"""Memory: peak resident memory of a rebuild and of an import, each in a process of its own.

    python -m bench.worker rebuild LEDGER.db          # the worker the rows start
    python -m bench.worker import LEDGER.db FILE.jsonl

For each workload, one subprocess per size — the whole generated ledger (``events``) and its
first tenth — and its peak RSS, the kernel's high-water mark of that process alone (see
``bench.worker``: not ``ru_maxrss``, which Linux carries over from the parent across exec):

- **rebuild**: ``projections.rebuild`` of a copy of the ledger (every read model and snapshot
  from nothing);
- **import**: ``ledger.import_file`` of the ledger's own export (``export_lines``, JSON Lines)
  into an empty ledger, one transaction, as ``matchledger import`` does.

Both must stream: under ``LIMIT_MB`` at the full size, and growing sub-linearly. Growth is
counted above the floor (a process that only imports the packages, ~35 MB), or a fixed cost
would make proportional growth look sub-linear; and two sizes cannot tell n^0.95 from n, so
the check asks for a clear margin: memory above the floor growing at most as n^0.8
(``SUBLINEAR``: 6.3 times for 10 times the events). The note gives the exponent measured and
the memory each extra event costs.

The children of the larger size run while the parent writes the export, and the smaller ones
beside the larger import: memory is the kernel's count per process, so running them side by
side changes nothing but the wall-clock time of the run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import attrs

from bench.harness import Context, Result, copy_db, measure
from matchledger.ledger import Ledger, export_lines

LIMIT_MB = 300.0
SUBLINEAR = 0.8  # largest growth exponent of memory above the floor that counts as sub-linear
SMALL = 10  # the smaller size is the first 1/SMALL of the ledger


@attrs.frozen(kw_only=True)
class Peak:
    workload: str
    events: int
    peak_mb: float
    seconds: float


class _Child:
    """A worker subprocess (``bench.worker``), started at once, read when waited for."""

    def __init__(self, workload: str, *args: Path) -> None:
        self.workload = workload
        root = Path(__file__).resolve().parent.parent
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", workload, *map(str, args)],
            stdout=subprocess.PIPE, text=True, env=env)

    def wait(self) -> Peak:
        out, _ = self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"bench.worker {self.workload} failed "
                               f"(exit {self.proc.returncode})")
        report = json.loads(out.strip().splitlines()[-1])
        return Peak(workload=self.workload, events=report["events"],
                    peak_mb=report["peak_mb"], seconds=report["seconds"])


def export(source: Path, target: Path) -> int:
    """Write the ledger at ``source`` as JSON Lines, as ``matchledger export`` does."""
    with Ledger(source) as ledger, target.open("w", encoding="utf-8") as out:
        return export_lines(ledger, out)


@measure("memory")
def memory_rows(ctx: Context) -> list[Result]:
    full, small = ctx.events, max(1, ctx.events // SMALL)
    sources = {full: ctx.full_ledger(), small: ctx.prefix_ledger(small)}
    ctx.log(f"memory: peak RSS of a rebuild and an import in a subprocess, at {small:,} and "
            f"{full:,} events")
    work = {n: ctx.path(f"memory-rebuild-{n}.db") for n in sources}
    for n, source in sources.items():
        copy_db(source, work[n])
    floor = _Child("idle")
    big_rebuild = _Child("rebuild", work[full])
    exports = {n: ctx.workdir / f"memory-export-{n}.jsonl" for n in sources}
    for n, path in exports.items():
        export(sources[n], path)
    peaks: dict[tuple[str, int], Peak] = {}
    big_import = _Child("import", ctx.path(f"memory-import-{full}.db"), exports[full])
    for child in (floor, big_rebuild):
        peak = child.wait()
        peaks[(peak.workload, peak.events)] = peak
    for workload, args in (("rebuild", (work[small],)),
                           ("import", (ctx.path(f"memory-import-{small}.db"), exports[small]))):
        peak = _Child(workload, *args).wait()
        peaks[(workload, small)] = peak
    peak = big_import.wait()
    peaks[("import", full)] = peak
    idle = peaks[("idle", 0)].peak_mb
    for path in exports.values():
        path.unlink(missing_ok=True)
    rows = []
    for workload in ("rebuild", "import"):
        low, high = peaks[(workload, small)], peaks[(workload, full)]
        growth = max(high.peak_mb - idle, 0.01) / max(low.peak_mb - idle, 0.01)
        exponent = math.log(growth) / math.log(full / small)
        per_event = (high.peak_mb - low.peak_mb) * 1024 * 1024 / (full - small)
        for p in (low, high):
            last = p is high
            note = (f"{p.seconds:,.1f} s; a process that only imports the packages peaks at "
                    f"{idle:,.0f} MB")
            if last:
                note += (f"; above that, x{growth:.2f} the memory of {small:,} events for "
                         f"x{full / small:g} the events: n^{exponent:.2f} "
                         f"({per_event:,.0f} bytes per extra event)")
            rows.append(Result(
                measure=f"peak RSS, {workload} in a subprocess, {p.events:,} events",
                unit="MB", ours=p.peak_mb, limit=LIMIT_MB, lower_is_better=True,
                checks=(("sub-linear", exponent <= SUBLINEAR),) if last else (),
                notes={"events": p.events, "seconds": round(p.seconds, 2), "idle_mb": idle,
                       **({"growth_above_floor": round(growth, 3),
                           "growth_exponent": round(exponent, 3),
                           "bytes_per_extra_event": round(per_event, 1)} if last else {}),
                       "note": note}))
    return rows


__all__ = ["LIMIT_MB", "SUBLINEAR", "Peak", "export", "memory_rows"]

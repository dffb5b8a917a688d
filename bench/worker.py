"""The subprocess of the memory rows: one workload, then ``{"events", "seconds", "peak_mb"}``.

    python -m bench.worker rebuild LEDGER.db            # projections.rebuild
    python -m bench.worker import LEDGER.db FILE.jsonl  # ledger.import_file, one transaction
    python -m bench.worker idle                         # import the packages, nothing else

The peak is the kernel's high-water mark of this process's resident memory (``VmHWM`` in
``/proc/self/status``). Not ``ru_maxrss``: Linux carries it across ``exec``, so a child of a
parent holding a gigabyte would report a gigabyte before doing anything (``ru_maxrss`` is the
fallback where there is no ``/proc``, as on macOS, which counts it in bytes).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def main(argv: Sequence[str]) -> int:
    workload, *args = argv
    began = time.perf_counter()
    events = 0
    if workload == "rebuild":
        from matchledger.ledger import Ledger
        from matchledger.projections import rebuild

        with Ledger(args[0]) as ledger:
            events = rebuild(ledger)
    elif workload == "import":
        from matchledger.ledger import Ledger, import_file

        with Ledger(args[0]) as ledger:
            events = import_file(ledger, args[1]).added
    elif workload == "idle":
        importlib.import_module("ledger")
        importlib.import_module("projections")
    else:
        print(f"unknown workload {workload!r}", file=sys.stderr)
        return 2
    print(json.dumps({"events": events, "seconds": time.perf_counter() - began,
                      "peak_mb": peak_mb()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

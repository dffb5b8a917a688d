"""A throwaway PostgreSQL cluster for the tests: made in a temporary directory, listening on a
free port of 127.0.0.1 only, trusting local connections, removed when stopped.

``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run as the ``postgres`` user.
Only the standard library, so that ``.ci/run`` can call it before any virtual environment::

    url=$(python3 tests/pgcluster.py start /tmp/pgdir)   # prints the cluster's URL
    python3 tests/pgcluster.py stop /tmp/pgdir
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

URL_FILE = "matchledger-url"


def binaries() -> Path | None:
    """The folder of the newest PostgreSQL server binaries here (Debian's layout, then PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], *, as_postgres: bool) -> None:
    if as_postgres:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=120)


def start(directory: Path, *, durable: bool = False) -> str:
    """Make and start a cluster in ``directory`` (made, empty); its URL (database postgres).
    Not ``durable`` (the tests'), it skips fsync: a crash would lose it, which no test makes."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb) on this machine")
    root = os.geteuid() == 0
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "data"
    if root:
        shutil.chown(directory, "postgres", "postgres")
    port = _free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
              "-E", "UTF8", "--locale=C", "--no-sync"], as_postgres=root)
        options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 "
                   f"-c fsync={'on' if durable else 'off'} -c max_connections=200")
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
              str(directory / "log"), "-w", "-t", "60", "start"], as_postgres=root)
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"could not start PostgreSQL: {e.stderr.decode(errors='replace')}"
                           ) from e
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    (directory / URL_FILE).write_text(url)
    return url


def stop(directory: Path) -> None:
    """Stop the cluster in ``directory`` and remove it."""
    bin_dir = binaries()
    data = directory / "data"
    if bin_dir is not None and (data / "postmaster.pid").exists():
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
             as_postgres=os.geteuid() == 0)
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    command, where = sys.argv[1], Path(sys.argv[2])
    if command == "start":
        print(start(where))
    elif command == "stop":
        stop(where)
    else:
        sys.exit(f"usage: {sys.argv[0]} start|stop DIRECTORY")

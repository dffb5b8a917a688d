"""``matchledger serve``: the web server (``cli.server``), imported only when it starts, so
that ``matchledger --help`` stays fast.

    $ matchledger serve --db demo.db
    matchledger serving demo.db at http://127.0.0.1:8000/
    write token (Authorization: Bearer …): 0Jx…
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from matchledger.cli.common import DEFAULT_DB, CliError, Db, is_ledger_file, is_postgres

ENV_TOKEN = "MATCHLEDGER_TOKEN"

app = typer.Typer()


@app.command(rich_help_panel="Live")
def serve(
    db: Db = DEFAULT_DB,
    host: Annotated[str, typer.Option(
        "--host", help="The address to listen on: 127.0.0.1 keeps it to this machine; "
                       "0.0.0.0 opens it to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", min=0, max=65535, help="The port (0: any free one, printed).")] = 8000,
    token: Annotated[str | None, typer.Option(
        "--token", envvar=ENV_TOKEN, show_envvar=False, metavar="TOKEN",
        help="The token writes must send (Authorization: Bearer TOKEN); or set "
             "MATCHLEDGER_TOKEN; else one is made up and printed.")] = None,
) -> None:
    """Serve the ledger on the web: live match centre, bracket time machine, JSON API, feed.

    Reads are open; appends need the token. Pages at /, the API under /api, its description
    at /docs and /openapi.json, server-sent events at /api/feed.

    Example: matchledger serve --db demo.db --port 8000
    """
    if not is_postgres(db) and not Path(db).exists():
        raise CliError(f"no ledger at {db}: run matchledger init or matchledger demo --db {db}")
    if not is_ledger_file(db):
        raise CliError(f"{db} is not a matchledger ledger")
    if token is not None and len(token.strip()) < 8:
        raise CliError("--token: use at least 8 characters")
    made = token is None
    token = secrets.token_urlsafe(18) if token is None else token.strip()
    from matchledger.cli import server

    try:
        sock = server.bind(host, port)
    except OSError as e:
        raise CliError(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"matchledger serving {db} at http://{shown}:{sock.getsockname()[1]}/ "
               "(Ctrl-C stops it)", err=True)
    if made:
        typer.echo(f"write token (Authorization: Bearer …): {token}", err=True)
    server.run(sock, db, token)

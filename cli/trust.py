"""Keeping the log honest: heads kept outside the file, keys, signed checkpoints.

    $ matchledger anchor --output demo.anchor --db demo.db   # the head, kept elsewhere
    $ matchledger keygen ~/.matchledger/ledger-key           # and ledger-key.pub beside it
    $ matchledger checkpoint --key ~/.matchledger/ledger-key --db demo.db
    $ matchledger verify --anchor demo.anchor --key ~/.matchledger/ledger-key.pub --db demo.db
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matchledger.cli.common import (
    DEFAULT_DB,
    CliError,
    Db,
    Json,
    console,
    emit_json,
    is_postgres,
    open_ledger,
)

PANEL = "Ledger"
app = typer.Typer()


@app.command(rich_help_panel=PANEL)
def anchor(
    db: Db = DEFAULT_DB,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Also save it to FILE (JSON), for verify --anchor FILE.")] = None,
    json_output: Json = False,
) -> None:
    """Print the head of the log (POSITION:HASH) to keep outside the file, for verify --head.

    A log cut short, or rewritten and hashed again, no longer holds a head kept before.

    Example: matchledger anchor --output demo.anchor --db demo.db
    """
    with open_ledger(db) as lg:
        head = lg.anchor()
    if output is not None:
        head.save(output, str(db))
    if json_output:
        emit_json({"position": head.position, "hash": head.hash, "head": str(head),
                   "file": str(output) if output is not None else None})
        return
    console().print(str(head), markup=False)
    if output is not None:
        console(stderr=True).print(f"saved to {output}: matchledger verify --anchor {output}",
                                   markup=False)


@app.command(rich_help_panel=PANEL)
def keygen(
    private: Annotated[Path, typer.Argument(
        metavar="PRIVATE_KEY",
        help="Where to write the private key (mode 0600; never overwritten); the public key "
             "goes beside it with .pub added. Keep it away from the ledger.")],
) -> None:
    """Make an Ed25519 key pair for signing checkpoints of the log.

    Example: matchledger keygen ~/.matchledger/ledger-key
    """
    from matchledger.ledger import make_keys

    public, key_id = make_keys(private)
    console().print(f"private key {private} (keep it secret, outside the ledger), public key "
                    f"{public} (for verify --key), key id {key_id}", markup=False)


@app.command(rich_help_panel=PANEL)
def checkpoint(
    key: Annotated[Path, typer.Option(
        "--key", metavar="PRIVATE_KEY", help="The private key of matchledger keygen.")],
    db: Db = DEFAULT_DB,
    json_output: Json = False,
) -> None:
    """Sign the head of the log (position, hash, time) and store it in the ledger.

    From then on verify fails on a log cut short or rewritten before that head, with no
    outside help; verify --key PUBLIC_KEY also proves who signed it.

    Example: matchledger checkpoint --key ~/.matchledger/ledger-key --db demo.db
    """
    from matchledger.ledger import load_private_key

    private = load_private_key(key)
    if not is_postgres(db) and Path(db).exists() and key.exists() and Path(db).samefile(key):
        raise CliError("--key is the ledger itself")
    with open_ledger(db) as lg:
        signed = lg.checkpoint(private)
    if json_output:
        emit_json({"id": signed.id, "position": signed.position, "hash": signed.hash,
                   "signed_at": signed.signed_at, "key_id": signed.key_id})
        return
    console().print(f"checkpoint {signed.id}: position {signed.position}, hash {signed.hash}, "
                    f"signed {signed.signed_at} by key {signed.key_id}", markup=False)


__all__ = ["app"]

"""The ``matchledger`` command line (typer): parses, calls the library, prints.

``matchledger.cli.main.app`` is the console script. Commands live by area: ``store`` (init, import,
export, verify, stats), ``log``, ``append`` (one typed subcommand per event), ``views`` (score,
tie, bracket, table, streaks, players), ``rebuild`` and ``demo``; ``common`` holds what they
share (options, time parsing, opening the ledger) and ``render`` how views look.
"""

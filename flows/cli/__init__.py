"""The `qcpilot` command line: one module per command (run, whatif, serve, report, explain, generate, evaluate, api),
what they share (common), and the console script's body (main)."""

from flows.cli.main import app, main

__all__ = ["app", "main"]

"""The error a steward command ends with: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations


class CliError(Exception):
    """What was wrong with the command, said in one line."""

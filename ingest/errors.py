"""The one exception ingest raises: its message is written for the person at the keyboard."""

from __future__ import annotations


class IngestError(Exception):
    """Bad input (a file, a row, an option) described in words a user can act on.

    The message names the file, row and field involved where that is known, so the
    CLI and the TUI can show it as it is, without a traceback.
    """

"""Getting sales notes and content assets into a gaplens workspace.

No UI here: the CLI and the TUI call these functions and show what they return.

- ``import_notes``: CSV (any of , ; tab |), JSON arrays, JSONL, .txt/.md files and
  folders of them -> one ``ImportSummary`` per file.
- ``import_assets``: a CSV content inventory and/or .md/.txt/.html files -> assets
  split into passages for matching.
- ``add_typed_note``: one note a person typed.
- ``parse_mapping``: ``--map text=Objection`` pairs -> ``{"text": "Objection"}``.

Bad input never raises anything but ``IngestError``, whose message is for the user.
"""

from ingest.assets import import_assets
from ingest.columns import parse_mapping
from ingest.errors import IngestError
from ingest.notes import add_typed_note, import_notes

__all__ = ["IngestError", "add_typed_note", "import_assets", "import_notes", "parse_mapping"]

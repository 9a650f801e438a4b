"""Getting sales notes and content assets into a gaplens workspace.

No UI here: the CLI and the TUI call these functions and show what they return.

- ``import_notes``: CSV (any of , ; tab |), JSON arrays, JSONL, .txt/.md files and
  folders of them -> one ``ImportSummary`` per file. CRM exports (Salesforce
  opportunity reports, HubSpot deals) are recognised by their header (ingest.crm);
  Gong transcripts and call details by their content (ingest.gong).
- ``preview_notes``: the same reading, nothing written -> one ``NotesPreview`` per
  file (format, column mapping, first notes, rejects), for ``--dry-run``.
- ``import_assets``: CSV content inventories (with usage columns), .md/.txt/.html/
  .pdf/.docx files and sitemap.xml -> assets split into passages for matching.
- ``preview_assets``: the same reading, nothing written -> one ``AssetPreview`` per file.
- ``add_typed_note``: one note a person typed.
- ``parse_mapping``: ``--map text=Objection`` pairs -> ``{"text": "Objection"}``.
- ``parse_stages``: ``--stage 158829339=lost`` pairs -> what each stage value means.

Bad input never raises anything but ``IngestError``, whose message is for the user.
"""

from ingest.assets import AssetPreview, import_assets, preview_assets
from ingest.columns import parse_mapping
from ingest.crm import parse_stages
from ingest.errors import IngestError
from ingest.notes import READERS, add_typed_note, import_notes
from ingest.preview import NotesPreview, preview_notes

__all__ = [
    "READERS",
    "AssetPreview",
    "IngestError",
    "NotesPreview",
    "add_typed_note",
    "import_assets",
    "import_notes",
    "parse_mapping",
    "parse_stages",
    "preview_assets",
    "preview_notes",
]

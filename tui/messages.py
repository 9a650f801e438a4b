"""Messages the app's workers and panes send up the DOM."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class WorkspaceChanged(Message):
    """Notes, assets or an analysis changed: every pane reloads."""

    reason: str = ""


@dataclass
class AnalysisProgress(Message):
    stage: str
    done: int
    total: int | None


@dataclass
class ImportProgress(Message):
    file: str
    done: int
    total: int | None


@dataclass
class AnalysisEnded(Message):
    """The analysis thread has really stopped (done, failed or cancelled)."""

    summary: str
    error: str | None = None
    cancelled: bool = False


@dataclass
class ShowNotes(Message):
    """Open the notes tab on one theme (UNCLUSTERED for the notes no theme took)."""

    cluster_id: int
    label: str

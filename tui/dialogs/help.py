"""The help screen: what gaplens shows, and every key."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# (where, keys, what) — the README's key map is checked against this list
KEYMAP: list[tuple[str, str, str]] = [
    ("everywhere", "1 2 3 4 5 6", "Themes, Notes, Content, Rejected rows, Plan, Trends"),
    ("everywhere", "a", "Run the analysis (in the background)"),
    ("everywhere", "x", "Cancel the running analysis"),
    ("everywhere", "n", "Add a note from a call (it is placed in a theme at once)"),
    ("everywhere", "i", "Import files (notes or content)"),
    ("everywhere", "w", "What changed: what the last analysis did to the themes; the edit log"),
    ("everywhere", "/", "Jump to the filter or search box"),
    ("everywhere", "ctrl+p", "Command palette: every action by name"),
    ("everywhere", "? or f1", "This help"),
    ("everywhere", "q", "Quit"),
    ("themes", "↑ ↓ / click", "Select a theme; its detail shows below"),
    ("themes", "enter or o", "Open every note of the theme"),
    ("themes", "r", "Rename the theme (the name is kept)"),
    ("themes", "M", "Merge the theme into one picked from a list (that one keeps its id and name)"),
    ("themes", "P", "Split the theme into parts (2 to 6, or the clearest split)"),
    ("themes", "s / S", "Sort by the next column / reverse the order (or click a header)"),
    ("themes", "k", "Filter by kind: questions, objections, loss reasons, call notes"),
    ("themes", "b", "The gap brief: question, quotes, money, content, what to write"),
    ("themes", "p", "Put the theme on the content plan (p in the brief does too)"),
    ("themes", "l", "Link an asset that answers the theme: pick it from a list"),
    ("themes", "u", "Unlink an asset that does not answer the theme"),
    ("notes", "m", "Similar notes to the selected one"),
    ("notes", "t", "Move the note to another theme: pick it from a list"),
    ("notes", "c", "Assign a note without a theme to its closest theme (triage)"),
    ("notes", "esc", "Clear the theme filter"),
    ("content", "u", "Only content that answers nothing anyone asks"),
    ("content", "o", "Mark the asset outdated, or up to date again"),
    ("plan", "enter or e", "Edit the plan item: status, owner, quarter, format, comment"),
    ("plan", "s", "Move the item on to its next status"),
    ("plan", "delete", "Remove the item from the plan"),
    ("plan", "y", "Review publish proposals: planned themes new content now answers"),
    ("trends", "6", "Which themes rose, fell or are new in a quarter, beyond chance"),
    ("trends", "[ / ]", "The quarter before / after"),
]

ABOUT = (
    "gaplens groups what prospects say in calls, objections and lost deals into themes, "
    "and checks each theme against your content. A gap is a theme no asset answers well; "
    "the gap score ranks them by how many notes, deals, accounts and how much deal value "
    "they carry, how fast they are rising, and how little content covers them."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("where", style="dim")
        table.add_column("key", style="bold cyan")
        table.add_column("what it does")
        for where, keys, what in KEYMAP:
            table.add_row(where, keys, what)
        with Vertical(classes="dialog wide", id="help"):
            yield Static("gaplens help", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(Text(ABOUT + "\n"))
                yield Static(table)
                yield Static(
                    Text(
                        "\nColumns: notes and deals counted over the filtered notes; value = each "
                        "deal counted once at its largest amount; trend = notes in the last "
                        "90 days against the 90 before, with a bar per quarter; coverage = how "
                        "well the "
                        "best asset answers the theme; score = 100 × demand × momentum × "
                        "(1 − coverage).",
                        style="dim",
                    )
                )
                yield Static(
                    Text(
                        "\nContent status: no content, weak (answered in part, or by an "
                        "outdated asset) or covered. You know things the match does not: l "
                        "links an asset that answers a theme, u unlinks one that does not, o on "
                        "the content tab marks an asset outdated. All three are kept through "
                        "later analyses and change the theme's status and score at once.",
                        style="dim",
                    )
                )
                yield Static(
                    Text(
                        "\nChanging the themes: r, M and P on the themes tab, t and c on the notes "
                        "tab. Every change is recorded (who, when, what: w shows the log) and kept "
                        "when the analysis runs again. Triage: pick (unclustered) in the notes "
                        "tab's theme filter, or press enter on the unclustered row, to list the "
                        "notes no theme took, each with its closest theme; c puts the selected one "
                        "there. New notes (n, or imported) join the closest theme at once when "
                        "they fit it, or wait as emerging; the header says when enough have "
                        "arrived that a full analysis (a) is due.",
                        style="dim",
                    )
                )

    def action_close(self) -> None:
        self.dismiss(None)

    def on_click(self) -> None:
        self.dismiss(None)

"""CSV, JSON and JSONL files as one shape: a header and numbered records.

Records keep where they came from (``line``: the physical line in a CSV, the line
in a JSONL file, the element number in a JSON array) and the original text
(``raw``), so a row that cannot be used becomes a reject that points at it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ingest.decode import has_undecodable, physical_lines, readable
from ingest.errors import IngestError

DELIMITERS = ",;\t|"
UNDECODABLE = "undecodable bytes: this row is not UTF-8 although the rest of the file is"


@dataclass
class Record:
    line: int | None
    values: list[Any] | None  # aligned with Table.columns; None when the row is unusable
    raw: str
    problem: str | None = None


@dataclass
class Table:
    format: str
    columns: list[str]
    records: list[Record] = field(default_factory=list)

    def column_values(self, i: int, limit: int = 500) -> list[Any]:
        out = []
        for rec in self.records:
            if rec.values is not None:
                out.append(rec.values[i] if i < len(rec.values) else None)
                if len(out) >= limit:
                    break
        return out


# -- CSV ------------------------------------------------------------------------


def read_csv(text: str, label: str) -> Table:
    lines = physical_lines(text)
    start, delimiter = 0, None
    if lines and (m := re.fullmatch(r"sep=(.)\r?\n?", lines[0])):
        start, delimiter = 1, m.group(1)  # Excel's "sep=;" first line
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines):
        raise IngestError(f"{label}: the file is empty")
    delimiter = delimiter or sniff_delimiter(lines[start : start + 200])
    _, pos, header = next(_csv_records(lines, start, delimiter, label))
    columns = [readable(c.strip().lstrip("\ufeff")) for c in header]
    while len(columns) > 1 and not columns[-1]:
        columns.pop()  # a trailing delimiter on the header line
    width = len(columns)
    table = Table("csv", columns)
    while pos is not None:
        resume = None
        for first, end, fields in _csv_records(lines, pos, delimiter, label):
            raw = "".join(lines[first:end]).rstrip("\r\n")
            if not any(f.strip() for f in fields):
                continue  # a blank line, or a row of empty cells
            if len(fields) > width and not any(f.strip() for f in fields[width:]):
                fields = fields[:width]  # trailing delimiters
            if has_undecodable(raw):
                table.records.append(Record(first + 1, None, raw, UNDECODABLE))
            elif len(fields) == width:
                table.records.append(Record(first + 1, fields, raw))
            elif end - first > 1:
                # A stray quote can swallow the lines after it: reject this line only and
                # read on from the next one, so the rows below still land.
                problem = (
                    f"ragged row: {len(fields)} fields where the header has {width} "
                    f"(lines {first + 1}-{end} read as one row: unbalanced quote?)"
                )
                table.records.append(Record(first + 1, None, lines[first].rstrip("\r\n"), problem))
                resume = first + 1
                break
            else:
                problem = f"ragged row: {len(fields)} fields where the header has {width}"
                table.records.append(Record(first + 1, None, raw, problem))
        pos = resume
    return table


def _csv_records(
    lines: list[str], start: int, delimiter: str, label: str
) -> Iterator[tuple[int, int, list[str]]]:
    """(first line index, end line index, fields) for each record from lines[start:]."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))  # long notes, stray quotes
    reader = csv.reader((lines[i] for i in range(start, len(lines))), delimiter=delimiter)
    done = 0
    try:
        for fields in reader:
            yield start + done, start + reader.line_num, fields
            done = reader.line_num
    except csv.Error as exc:
        raise IngestError(f"{label}: line {start + done + 1}: {exc}") from None


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the header into most columns and the rows consistently."""
    best, best_score = ",", (-1.0, 0)
    for d in DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines, delimiter=d) if r][:50]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:-1] or rows[1:]  # the sample's last row may be cut short
        consistent = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (round(consistent, 1), width)
        if score > best_score:
            best, best_score = d, score
    return best


# -- JSON -----------------------------------------------------------------------


def read_json(text: str, label: str) -> Table:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return read_jsonl(text, label)  # one object per line, saved as .json
        raise IngestError(
            f"{label}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise IngestError(f"{label}: the JSON is nested too deeply to read") from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            data = lists[0]  # {"notes": [...]}
        else:
            raise IngestError(f"{label}: expected a JSON array of objects, found an object")
    if not isinstance(data, list):
        raise IngestError(f"{label}: expected a JSON array of objects, found {_type(data)}")
    return _objects("json", [(i + 1, item, None) for i, item in enumerate(data)])


def read_jsonl(text: str, label: str) -> Table:
    items: list[tuple[int, Any, str | None]] = []
    for n, line in enumerate(physical_lines(text), start=1):
        line = line.strip()
        if not line:
            continue
        if has_undecodable(line):
            items.append((n, line, UNDECODABLE))
            continue
        try:
            items.append((n, json.loads(line), None))
        except json.JSONDecodeError as exc:
            items.append((n, line, f"invalid JSON at column {exc.colno}: {exc.msg}"))
        except RecursionError:
            items.append((n, line, "invalid JSON: nested too deeply"))
    return _objects("jsonl", items)


def _objects(fmt: str, items: list[tuple[int, Any, str | None]]) -> Table:
    columns: dict[str, None] = {}
    for _, item, problem in items:
        if problem is None and isinstance(item, dict):
            columns.update(dict.fromkeys(str(k) for k in item))
    names = list(columns)
    table = Table(fmt, [readable(n) for n in names])
    for line, item, problem in items:
        if problem is not None:
            table.records.append(Record(line, None, item, problem))
            continue
        raw = json.dumps(item, ensure_ascii=False)
        if not isinstance(item, dict):
            table.records.append(
                Record(line, None, raw, f"expected an object, found {_type(item)}")
            )
        elif has_undecodable(raw):
            table.records.append(Record(line, None, raw, UNDECODABLE))
        else:
            keyed = {str(k): v for k, v in item.items()}
            table.records.append(Record(line, [keyed.get(c) for c in names], raw))
    return table


def _type(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "a number")

"""CSV, JSON and JSONL files as one shape: a header and numbered records.

Records keep where they came from (``line``: the physical line in a CSV, the line
in a JSONL file, the element number in a JSON array) and the original text
(``raw``), so a row that cannot be used becomes a reject that points at it.

A CSV is parsed from an iterator of physical lines, one record at a time
(``open_csv``), so ``CsvStream`` can read a file of any size in passes without
holding it; ``read_csv`` is the same parser over a whole decoded text.
"""

from __future__ import annotations

import csv
import json
import re
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ingest.decode import has_undecodable, physical_lines, readable
from ingest.errors import IngestError

DELIMITERS = ",;\t|"
FIELD_LIMIT = 1 << 27  # 128 MiB: a whole note export in one cell still reads
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


class CsvStream:
    """A CSV file read in passes and never held whole: the columns and a leading sample
    of records at once, then ``scan`` (count the rows, keep the few cells of one column
    a check needs) and ``batches`` (the records, a batch at a time)."""

    format = "csv"

    def __init__(self, open_lines: Callable[[], Iterator[str]], label: str, sample: int = 500):
        self._open, self.label = open_lines, label
        self.columns, records = open_csv(open_lines(), label)
        self.sample = list(islice(records, sample))
        self.total: int | None = None
        self._kept: dict[int, list[Any]] = {}

    def scan(self, column: int | None, kind: Callable[[Any], Hashable | None]) -> int:
        """Count the records, and keep one value of ``column`` of each ``kind`` (None: not
        kept), so that a check over all values, like is_dayfirst, sees every kind there is."""
        _, records = open_csv(self._open(), self.label)
        total, kept = 0, {}
        for rec in records:
            total += 1
            if column is not None and rec.values is not None and column < len(rec.values):
                value = rec.values[column]
                if (key := kind(value)) is not None:
                    kept.setdefault(key, value)
        self.total = total
        if column is not None:
            self._kept[column] = list(kept.values())
        return total

    def column_values(self, i: int, limit: int = 500) -> list[Any]:
        out = Table(self.format, self.columns, self.sample).column_values(i, limit)
        if limit > len(out):
            out += self._kept.get(i, [])
        return out

    def batches(self, size: int) -> Iterator[Table]:
        _, records = open_csv(self._open(), self.label)
        while batch := list(islice(records, size)):
            yield _Batch(self.format, self.columns, batch, self)


@dataclass
class _Batch(Table):
    whole: CsvStream | None = None

    def column_values(self, i: int, limit: int = 500) -> list[Any]:
        return self.whole.column_values(i, limit)


def read_csv(text: str, label: str) -> Table:
    columns, records = open_csv(iter(physical_lines(text)), label)
    return Table("csv", columns, list(records))


def open_csv(lines: Iterator[str], label: str) -> tuple[list[str], Iterator[Record]]:
    """The header of a CSV given as physical lines, and its records read lazily.

    Only a leading sample (200 lines) is held to find the delimiter; after that one
    record's lines at a time, so a file of any length is read in bounded memory.
    """
    src = _Lines(lines)
    head = list(islice(src, 201))
    if head and (m := re.fullmatch(r"sep=(.)\r?\n?", head[0])):
        src.first, delimiter = 2, m.group(1)  # Excel's "sep=;" first line
        head = head[1:]
    else:
        src.first, delimiter = 1, None
    while True:
        while head and not head[0].strip():
            head.pop(0)
            src.first += 1
        if head:
            break
        head = list(islice(src, 200))  # a long run of blank lines: read on
        if not head:
            raise IngestError(f"{label}: the file is empty")
    delimiter = delimiter or sniff_delimiter(head[:200])
    src.taken.clear()
    src.put_back(head)
    reader = _reader(src, delimiter)
    _, _, header = _next_record(reader, src, label)
    columns = [readable(c.strip().lstrip("\ufeff")) for c in header]
    while len(columns) > 1 and not columns[-1]:
        columns.pop()  # a trailing delimiter on the header line
    return columns, _records(reader, src, len(columns), label)


def _records(reader, src: _Lines, width: int, label: str) -> Iterator[Record]:
    while (got := _next_record(reader, src, label)) is not None:
        first, taken, fields = got
        raw = "".join(taken).rstrip("\r\n")
        if not any(f.strip() for f in fields):
            continue  # a blank line, or a row of empty cells
        if len(fields) > width and not any(f.strip() for f in fields[width:]):
            fields = fields[:width]  # trailing delimiters
        if has_undecodable(raw):
            yield Record(first, None, raw, UNDECODABLE)
        elif len(fields) == width:
            yield Record(first, fields, raw)
        elif len(taken) > 1:
            # A stray quote can swallow the lines after it: reject this line only and
            # read on from the next one, so the rows below still land.
            problem = (
                f"ragged row: {len(fields)} fields where the header has {width} "
                f"(lines {first}-{first + len(taken) - 1} read as one row: unbalanced quote?)"
            )
            yield Record(first, None, taken[0].rstrip("\r\n"), problem)
            src.first = first + 1
            src.put_back(taken[1:])
            reader = _reader(src, delimiter=reader.dialect.delimiter)
        else:
            problem = f"ragged row: {len(fields)} fields where the header has {width}"
            yield Record(first, None, raw, problem)


class _Lines:
    """Physical lines as an iterator that remembers the lines of the record being read
    (``taken``, starting at line number ``first``) and takes lines back to read again."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._back: deque[str] = deque()
        self.taken: list[str] = []
        self.first = 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.popleft() if self._back else next(self._lines)
        self.taken.append(line)
        return line

    def put_back(self, lines: list[str]) -> None:
        self._back.extendleft(reversed(lines))


def _reader(src: _Lines, delimiter: str):
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))  # long notes, stray quotes
    return csv.reader(src, delimiter=delimiter)


def _next_record(reader, src: _Lines, label: str) -> tuple[int, list[str], list[str]] | None:
    """(first line number, its physical lines, fields) of the next record; None at the end."""
    try:
        fields = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise IngestError(f"{label}: line {src.first}: {exc}") from None
    first, taken = src.first, src.taken
    src.taken = []
    src.first = first + len(taken)
    return first, taken, fields


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

"""Bytes to text for the files people actually export.

Strategy (kept deliberately small):

1. A byte-order mark decides: UTF-8 (BOM dropped), UTF-16 or UTF-32.
2. Otherwise the file is tried as UTF-8.
3. If it is not valid UTF-8, the bytes that fail are counted against the non-ASCII
   characters that do decode. When most of them fail, the file is a legacy export and
   is decoded whole as Windows-1252 (Excel on Windows, old CRMs), falling back to
   charset-normalizer's best guess for bytes cp1252 leaves undefined. When most of
   them decode, the file is UTF-8 with a few damaged lines: those bytes are kept as
   surrogate escapes, and the rows that contain them are rejected one by one
   (``has_undecodable`` / ``readable``) instead of failing the whole file.
4. NUL bytes without a BOM mean UTF-16 without a mark; charset-normalizer decides.

A large file is not decoded whole: ``stream_encoding`` makes the same decision reading
it in chunks, and ``stream_lines`` then yields its lines one at a time.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from ingest.errors import IngestError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ESCAPED = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # utf-8, utf-8-sig, utf-16, cp1252, utf-8+damaged, or charset-normalizer's name


def decode_bytes(data: bytes, name: str = "file") -> Decoded:
    """Decode a whole file. Raises IngestError when the bytes are not text at all."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"{name}: starts with a {encoding.upper()} byte-order mark but is not "
                    f"valid {encoding.upper()} (byte {exc.start})"
                ) from None
    if b"\x00" in data:
        guess = _guess(data)
        if guess is None or "\x00" in guess.text:
            raise IngestError(f"{name}: looks like a binary file, not text")
        return guess
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    escaped = data.decode("utf-8", errors="surrogateescape")
    bad = len(_ESCAPED.findall(escaped))
    good = sum(1 for ch in escaped if ord(ch) > 127) - bad
    if good >= bad:
        return Decoded(escaped, "utf-8+damaged")
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return _guess(data) or Decoded(data.decode("latin-1"), "latin-1")


def _guess(data: bytes) -> Decoded | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    return Decoded(str(best), best.encoding)


def has_undecodable(text: str) -> bool:
    """True when text still holds bytes that were not UTF-8 (see the module docstring)."""
    return _ESCAPED.search(text) is not None


def readable(text: str) -> str:
    """Text fit to store and show: undecodable bytes read as Windows-1252 (or U+FFFD)."""
    return _ESCAPED.sub(
        lambda m: bytes([ord(m.group()) - 0xDC00]).decode("cp1252", errors="replace"), text
    )


def physical_lines(text: str) -> list[str]:
    """The file's lines with their endings (\\n, \\r\\n or \\r), as an editor numbers them."""
    return list(StringIO(text, newline=""))


CHUNK = 1 << 20


def stream_encoding(path: Path) -> tuple[str, str] | None:
    """(encoding, errors) to read a file as a text stream, decided as ``decode_bytes`` would,
    reading the file in chunks. None when only a whole-file decode can tell (NUL bytes
    without a byte-order mark, or bytes neither UTF-8 nor Windows-1252 define)."""
    with path.open("rb") as f:
        head = f.read(4)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, "strict"
    if any(b"\x00" in chunk for chunk in _chunks(path)):
        return None
    strict = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks(path):
            strict.decode(chunk)
        strict.decode(b"", final=True)
        return "utf-8", "strict"
    except UnicodeDecodeError:
        pass
    escaping = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    bad = good = 0
    for chunk in _chunks(path):
        text = escaping.decode(chunk)
        n_bad = len(_ESCAPED.findall(text))
        bad += n_bad
        good += len(text) - len(text.encode("ascii", "ignore")) - n_bad
    if good >= bad:
        return "utf-8", "surrogateescape"
    try:
        for chunk in _chunks(path):
            chunk.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return "cp1252", "strict"


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def stream_lines(path: Path, encoding: str, errors: str, name: str) -> Iterator[str]:
    """The file's physical lines (see ``physical_lines``), decoded as they are read."""
    with path.open(encoding=encoding, errors=errors, newline="") as f:
        try:
            yield from f
        except UnicodeDecodeError as exc:
            raise IngestError(f"{name}: not valid {encoding.upper()} ({exc.reason})") from None

"""Masking contact details in note text: emails become ``[email]``, phone numbers ``[phone]``.

Call notes are full of contact details that no theme needs, so every note is masked
when it is stored (table rows, text and Markdown files, typed notes), unless the caller
opts out (``keep_pii=True``; ``--keep-pii`` on the command line). Only the note text is
masked: account, rep and the other fields are names, not contact details. Rejected rows
keep their original text (``rejects.raw``) so they can be exported, fixed and imported
again.

When masking happens, and what the note id is made of:

- The stored text (and so its ``text_hash``) is the masked text; the original is not
  kept anywhere in the note.
- A note that comes without an id gets one made from its *masked* text, with or without
  ``keep_pii``. So the id never fingerprints an email or phone number (a hash of the
  original text could be used to confirm a guessed number), and it does not depend on
  the option: importing a file again adds nothing, masked or not.
- Switching the option for a file already imported therefore finds the same ids with a
  different text, and those rows are rejected as id clashes (never silently stored
  twice). The flip side: two notes that differ only in their contact details, on the
  same date, deal and account, get the same id; masked they are the same note (counted
  as already present), kept they clash.
- Masking is idempotent (the placeholders contain no ``@`` and no digit), so masking a
  masked text changes nothing.

Phone numbers found: international (``+44 20 7946 0958``, ``+1-415-555-0132``,
``+44 (0)20 ...``, ``+14155550132``), North American (``(415) 555-0132``,
``415.555.0132``, ``415-555-0132``, ``1-800-555-0199``), national numbers with a leading
0 (``020 7946 0958``), each with an optional extension (``x204``, ``ext. 204``). Left
alone: amounts ($48,000, 48000), dates (2026-03-14, 3/14/2026), years, percentages,
versions (v2.3.1), ids (D-2044, OPP-000123), times (10:30), numbers of fewer than 10
digits, and bare runs of digits without a ``+`` (an order number is as likely as a
phone number). A regex, not a phone library: nothing extra to install, and the formats
sales notes use are few.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"

_EMAIL = re.compile(
    r"(?<![\w.+%-])"
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"  # local part, plus-addressing included
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"  # (sub)domains
    r"(?![\w-]|\.[A-Za-z0-9])"
)

_SEP = r"[ .\-\u00a0]"  # what people put between digit groups (not , / or :)
_PHONE = re.compile(
    # not glued to a word, an id (D-), an amount ($), a version (2.), a path or a ticket (#)
    r"(?<![\w+.$€£#/\\-])"
    r"(?P<number>"
    # international: +CC then groups, with an optional (0) trunk prefix
    rf"\+\d{{1,3}}{_SEP}?(?:\(0\){_SEP}?)?(?:\(\d{{1,4}}\)|\d{{1,4}})(?:{_SEP}?\d{{1,5}}){{1,5}}"
    # North American: (415) 555-0132, with an optional leading 1
    rf"|(?:1{_SEP}?)?\(\d{{3}}\){_SEP}?\d{{3}}{_SEP}\d{{4}}"
    # North American: 415-555-0132, 415.555.0132, 415 555 0132 (one separator throughout)
    r"|(?:1[ .\-])?\d{3}(?P<sep>[ .\-])\d{3}(?P=sep)\d{4}"
    # national with a trunk 0: 020 7946 0958, 07700 900123
    r"|0\d{2,4}[ \-]\d{3,4}(?:[ \-]\d{3,4})?"
    r")"
    r"(?: ?,? ?(?:[xX]|[eE]xt\.?|[eE]xtension) ?\d{1,5})?"  # extension: x204, ext. 204
)
_DIGIT = re.compile(r"\d")


def _phone(match: re.Match) -> str:
    """[phone] for a match that is a whole phone number, else the match unchanged."""
    found = match.group()
    after = match.string[match.end() : match.end() + 2]
    # glued to what follows (a longer number, an id, a date or a time): not a phone number
    if after[:1].isalnum() or (after[:1] in "-./:,_" and after[1:2].isdigit()):
        return found
    number = match.group("number")
    digits = len(_DIGIT.findall(number))
    if number.startswith("+"):
        ok = 8 <= digits <= 15
    elif number.startswith("0"):
        ok = 10 <= digits <= 11
    else:
        ok = digits in (10, 11)
    return PHONE if ok else found


def mask_contacts(text: str) -> tuple[str, int]:
    """The text with emails and phone numbers replaced, and how many were replaced."""
    if "@" not in text and not _DIGIT.search(text):
        return text, 0  # most notes: nothing to look for
    text, emails = _EMAIL.subn(EMAIL, text)
    masked = _PHONE.sub(_phone, text)
    phones = masked.count(PHONE) - text.count(PHONE)
    return masked, emails + phones


def mask(text: str) -> str:
    """The text with emails and phone numbers replaced by placeholders."""
    return mask_contacts(text)[0]

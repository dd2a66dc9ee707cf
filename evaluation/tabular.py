"""Reading the fixed file formats (CSV, or the first sheet of an XLSX workbook) into rows that
remember their line number, and the errors an import reports.

What officials' tools write is accepted: UTF-8 with or without a byte-order mark, GB18030/GBK
(Excel's "CSV" on Chinese Windows), UTF-16 (Excel's "Unicode text", tab-separated), commas,
semicolons or tabs between fields, a title row above the header, blank rows, numbers stored as
text, and the Chinese header names of the portal's template (``HEADER_ALIASES``). What a file
*is* is read from its content, not its name: a CSV file named ``.xlsx`` (or ``.txt``) is read as
the text it is, and an old ``.xls`` workbook, a PDF or a picture is named as such.

Every upload point reads a file within its limits (``UploadLimits``: size, rows, and the size
a workbook unpacks to), checked before anything is parsed, so a hostile or careless file is
refused at once and never fills the memory: the size before the file is read, the unpacked
size from the archive's directory and then again while it is unpacked (a directory can lie),
the rows while they are read. A workbook is unpacked in a streaming pass that also finds its
formulas and external links (refused: a value must be a value) and how far its cells reach,
before the fast reader (python-calamine) sees it."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext

from evaluation.exceptions import FileRefused, ImportRefused, RowError
from evaluation.inputs import CONTROL, control_character_error

__all__ = [
    "ImportRefused",
    "Row",
    "RowError",
    "UploadLimits",
    "path_read",
    "read_table",
    "upload_limits",
    "upload_read",
]

# A refusal of the file as a whole (its size, its kind) names no line: line 0.
WHOLE_FILE = 0
# No column of the fixed formats holds more than this many characters (a city's English name,
# the longest, is at most 100).
MAX_FIELD = 1000
# The widest format has six columns; a cell beyond column Z is refused before the workbook is
# read, since the fast reader holds a sheet as a dense rectangle of cells.
MAX_COLUMN = "Z"
# Blank rows and a title row above the header do not count as rows; a sheet may reach this many
# lines beyond its row limit before it is refused unread.
SPARE_LINES = 100
CHUNK = 1 << 20


# The first bytes of an OLE2 compound file: Excel 97-2003's .xls, whatever the file is named.
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


class Row(NamedTuple):
    line: int
    values: dict[str, str]


# Limits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadLimits:
    """How large a file one upload point takes: bytes as sent, data rows, and bytes a workbook
    unpacks to. Configured per upload point (``settings.UPLOAD_LIMITS``, README)."""

    max_bytes: int
    max_rows: int
    max_unpacked: int


UPLOAD_POINTS = ("portal", "api", "admin", "command")


def upload_limits(point: str) -> UploadLimits:
    """The limits of an upload point: ``portal``, ``api``, ``admin`` or ``command``."""
    limits = settings.UPLOAD_LIMITS[point]
    return UploadLimits(
        max_bytes=int(limits["bytes"]),
        max_rows=int(limits["rows"]),
        max_unpacked=int(limits["unpacked"]),
    )


def _size(count: int) -> str:
    """A size as people read it: 2 MB, 512 KB, 300 bytes."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            shown = count / scale
            return (
                f"{shown:.0f} {unit}"
                if shown >= 10 or shown.is_integer()
                else f"{shown:.1f} {unit}"
            )
    return gettext("%(count)s bytes") % {"count": count}


def _too_large(name: str, size: int, limits: UploadLimits) -> ImportRefused:
    return FileRefused(
        name,
        gettext(
            "the file is %(size)s; at most %(limit)s is accepted here: split it into smaller files"
        )
        % {"size": _size(size), "limit": _size(limits.max_bytes)},
        "file_too_large",
    )


class _Upload(Protocol):
    name: str | None
    size: int | None

    def read(self, size: int = ..., /) -> bytes: ...


def upload_read(upload: _Upload, *, limits: UploadLimits) -> bytes:
    """The bytes of an uploaded file, refused unread when it is larger than the upload point
    takes (the size the upload arrived with, then what is read: never more than one byte
    over the limit)."""
    name = upload.name or ""
    if upload.size is not None and upload.size > limits.max_bytes:
        raise _too_large(name, upload.size, limits)
    data = upload.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(name, upload.size or len(data), limits)
    return data


def path_read(path: Path, *, limits: UploadLimits) -> bytes:
    """A file's bytes, refused unread when it is larger than the limit; ``OSError`` when it
    cannot be read."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise _too_large(path.name, size, limits)
    with path.open("rb") as file:
        data = file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(path.name, len(data), limits)
    return data


# What a file is ------------------------------------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"


def _refused(
    name: str, reason: str, line: int = WHOLE_FILE, code: str = "unreadable_file"
) -> ImportRefused:
    """A refusal of the file as a whole (``FileRefused``: a page says it of the file), or of
    one of its lines."""
    if line == WHOLE_FILE:
        return FileRefused(name, reason, code)
    return ImportRefused(name, [RowError(line, None, reason, code)])


def _not_read(what: str) -> str:
    return gettext(
        "the file is %(what)s, not a CSV file or an Excel workbook (.xlsx): open it and save it "
        "as an Excel workbook (.xlsx) or as CSV"
    ) % {"what": what}


def _signature_kind(data: bytes) -> str | None:
    """What a binary file is, from its first bytes, in words (None: not one we know)."""
    head = data[:512].lstrip()
    lowered = head[:64].lower()
    if data.startswith(OLE):
        if "EncryptedPackage".encode("utf-16-le") in data[: 1 << 16]:
            return gettext("a workbook protected with a password")
        return gettext("an Excel 97-2003 workbook (.xls)")
    signatures = (
        (b"%PDF-", gettext("a PDF document")),
        (b"\x89PNG", gettext("a picture (PNG)")),
        (b"\xff\xd8\xff", gettext("a picture (JPEG)")),
        (b"GIF8", gettext("a picture (GIF)")),
        (b"\x1f\x8b", gettext("a compressed file (gzip)")),
        (b"Rar!", gettext("a compressed file (RAR)")),
        (b"7z\xbc\xaf\x27\x1c", gettext("a compressed file (7-Zip)")),
        (b"{\\rtf", gettext("a rich-text document (RTF)")),
    )
    for signature, what in signatures:
        if data.startswith(signature):
            return what
    if lowered.startswith((b"<!doctype html", b"<html", b"<table")):
        return gettext("a web page (HTML; some systems save one under the name .xls)")
    if (
        lowered.startswith(b"<?xml")
        and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]
    ):
        return gettext("an Excel 2003 XML spreadsheet")
    return None


# Text ----------------------------------------------------------------------------------------

UTF16_NAMES = {"utf-16", "utf-16-le", "utf-16-be", "utf-32"}


def _bom_encoding(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-16 without a byte-order mark: ASCII letters with a zero byte beside each.
    sample = data[:4096]
    if len(sample) >= 4:
        odd, even = sample[1::2], sample[0::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def _binary(data: bytes) -> bool:
    """Mostly control bytes: not text in any encoding officials' tools write."""
    sample = data[:8192]
    controls = sum(1 for byte in sample if byte < 9 or 13 < byte < 32 or byte == 127)
    return controls > 0.05 * len(sample)


def _decodes_up_to(data: bytes, encoding: str) -> int | None:
    """Where ``data`` stops being text in ``encoding`` (a byte offset), or None if it is text
    throughout; checked in chunks, without a copy of the whole file."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    for offset in range(0, len(data), CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(data[offset : offset + CHUNK], final=offset + CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            return min(len(data) - 1, max(0, offset - pending + exc.start))
    return None


def _line_of(data: bytes, offset: int, encoding: str) -> int:
    if encoding in UTF16_NAMES:
        return data[:offset].decode(encoding, errors="replace").count("\n") + 1
    return data.count(b"\n", 0, offset) + 1


def _text_encoding(name: str, data: bytes) -> str:
    """The encoding of a text file; a file that is text in none of them is refused naming the
    line of the first byte that is not (in the encoding it follows furthest)."""
    declared = _bom_encoding(data)
    if declared is not None:
        stop = _decodes_up_to(data, declared)
        if stop is None:
            return declared
        raise _refused(
            name,
            gettext(
                "this line is not readable %(encoding)s text (it breaks at byte %(offset)s of "
                "the file): save the file again"
            )
            % {"encoding": "UTF-16" if declared in UTF16_NAMES else "UTF-8", "offset": stop},
            _line_of(data, stop, declared),
        )
    utf8 = _decodes_up_to(data, "utf-8")
    if utf8 is None:
        return "utf-8"
    gb = _decodes_up_to(data, "gb18030")
    if gb is None:
        return "gb18030"
    stop = max(utf8, gb)
    byte = data[stop] if stop < len(data) else 0
    raise _refused(
        name,
        gettext(
            "this line holds bytes that are neither UTF-8 nor GBK/GB18030 text (0x%(byte)02X): "
            "save the file again as CSV (UTF-8)"
        )
        % {"byte": byte},
        _line_of(data, stop, "utf-8"),
    )


def _csv_problem(exc: csv.Error) -> str:
    """A CSV parser's complaint in the reader's words (never the library's text)."""
    said = str(exc)
    if "field larger than field limit" in said:
        return gettext("a field is longer than %(limit)s characters; no column holds so much") % {
            "limit": MAX_FIELD
        }
    if "new-line character" in said:
        return gettext("a line break inside a field that is not in quotation marks")
    return gettext("this line is not readable as CSV (quotation marks that do not match?)")


def _delimiter(head: str, allowed: set[str]) -> str:
    """Commas, semicolons (Excel in some languages) or tabs ("Unicode text"): the one that
    splits the first lines into the most known column names."""
    lines = [line for line in head.splitlines() if line.strip()][:5]
    best, best_score = ",", 0
    for delimiter in (",", "\t", ";"):
        score = max(
            (
                sum(
                    HEADER_ALIASES.get(cell.strip().strip('"'), cell.strip().strip('"')) in allowed
                    for cell in line.split(delimiter)
                )
                for line in lines
            ),
            default=0,
        )
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_records(
    name: str, data: bytes, encoding: str, allowed: set[str]
) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of each record, read as a stream."""
    head = data[: 1 << 16].decode(encoding, errors="ignore")
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=_delimiter(head, allowed))
    start = 1
    try:
        for record in reader:
            yield start, reader.line_num, record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _refused(name, _csv_problem(exc), start) from None


# Workbooks -----------------------------------------------------------------------------------

_ROW_NUMBER = re.compile(rb' r="(\d+)"')
_WIDE_CELL = re.compile(rb' r="([A-Z]{2,3})(\d+)"')
_ANY_SPACE_R = re.compile(rb'\s(r=")')
_FORMULA = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s>/]")
# A cell (not self-closing) whose own content holds a formula element, and its reference.
_FORMULA_CELL = re.compile(
    rb'<(?:[A-Za-z0-9_]+:)?c\s[^>]*?\br="([A-Z]+)(\d+)"[^>]*(?<!/)>'
    rb"(?:(?!<(?:[A-Za-z0-9_]+:)?c[\s>/]|</(?:[A-Za-z0-9_]+:)?c>).)*?"
    rb"<(?:[A-Za-z0-9_]+:)?f[\s>/]",
    re.S,
)
_ROW_END = re.compile(rb"</(?:[A-Za-z0-9_]+:)?row>")
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass
class _SheetScan:
    """What a streaming pass over a worksheet found: its last row, a cell beyond the widest
    column, and the lines of its formula cells."""

    last_row: int = 0
    wide: tuple[str, int] | None = None
    formulas: list[tuple[int, str]] | None = None

    def read(self, piece: bytes) -> None:
        if b'\tr="' in piece or b'\nr="' in piece or b'\rr="' in piece:
            piece = _ANY_SPACE_R.sub(rb" \1", piece)
        if b' r="' in piece:
            numbers = _ROW_NUMBER.findall(piece)
            if numbers:
                self.last_row = max(self.last_row, max(map(int, numbers)))
            if self.wide is None and (wide := _WIDE_CELL.search(piece)) is not None:
                self.wide = (wide.group(1).decode(), int(wide.group(2)))
        if (b"<f" in piece or b":f" in piece) and _FORMULA.search(piece):
            found = self.formulas if self.formulas is not None else []
            for column, line in _FORMULA_CELL.findall(piece):
                found.append((int(line), column.decode()))
            self.formulas = found or [(WHOLE_FILE, "")]


def _last_row_end(buffer: bytes) -> int:
    """Where the last complete row of ``buffer`` ends (0: none yet)."""
    end = buffer.rfind(b"</row>")
    if end >= 0:
        return end + len(b"</row>")
    if b":row>" in buffer:
        ends = [match.end() for match in _ROW_END.finditer(buffer)]
        return ends[-1] if ends else 0
    return 0


class _Unreadable(Exception):
    """A member of the archive that does not unpack to what its directory says."""


def _inflate(data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's content in chunks, unpacked here rather than trusting the archive's
    directory: more than the size it declares is refused on the spot (a zip bomb whose
    directory lies), whatever its checksum says."""
    if member.flag_bits & 0x1:
        raise _Unreadable("encrypted")
    header = data[member.header_offset : member.header_offset + 30]
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        raise _Unreadable("no local header")
    start = member.header_offset + 30 + int.from_bytes(header[26:28], "little")
    start += int.from_bytes(header[28:30], "little")
    raw = data[start : start + member.compress_size]
    if member.compress_type == zipfile.ZIP_STORED:
        inflate = None
    elif member.compress_type == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    else:
        raise _Unreadable("compression")
    produced = 0
    for offset in range(0, len(raw), CHUNK):
        piece = raw[offset : offset + CHUNK]
        while piece:
            if inflate is None:
                out, piece = piece, b""
            else:
                out = inflate.decompress(piece, CHUNK)
                piece = inflate.unconsumed_tail
            produced += len(out)
            if produced > member.file_size:
                raise _Unreadable("larger than declared")
            if out:
                yield out
    if produced != member.file_size:
        raise _Unreadable("smaller than declared")


def _member(data: bytes, archive: zipfile.ZipFile, path: str) -> bytes:
    return b"".join(_inflate(data, archive.getinfo(path)))


def _workbook_parts(name: str, data: bytes, archive: zipfile.ZipFile) -> tuple[str, list[str]]:
    """The first sheet's path in the archive, and the workbook's external links."""
    try:
        workbook = ElementTree.fromstring(_member(data, archive, "xl/workbook.xml"))
        rels = ElementTree.fromstring(_member(data, archive, "xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        raise _refused(
            name, gettext("the workbook is damaged: it has no readable sheet list")
        ) from None
    targets: dict[str, tuple[str, str]] = {}
    for rel in rels.iter(f"{{{_RELS}}}Relationship"):
        targets[rel.get("Id", "")] = (rel.get("Type", ""), rel.get("Target", ""))
    sheets = [element for element in workbook.iter() if _local(element.tag) == "sheet"]
    if not sheets:
        raise _refused(name, gettext("the workbook has no sheet"))
    first = next((value for key, value in sheets[0].attrib.items() if _local(key) == "id"), "")
    kind, target = targets.get(first, ("", ""))
    if not kind.endswith("/worksheet"):
        raise _refused(
            name, gettext("the workbook's first sheet is not a table of cells (a chart?)")
        )
    path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    links = [t for k, t in targets.values() if k.endswith("/externalLink")]
    return path, links


def _unpack(name: str, data: bytes, archive: zipfile.ZipFile, sheet: str) -> _SheetScan:
    """Unpack every member in a stream, never beyond what the archive declares, scanning the
    first sheet on the way."""
    scan = _SheetScan()
    for member in archive.infolist():
        tail = b""
        for chunk in _inflate(data, member):
            if b"<!ENTITY" in tail[-16:] + chunk:
                raise _refused(
                    name,
                    gettext("the workbook holds XML entity declarations, which Excel never writes"),
                )
            if member.filename != sheet:
                tail = chunk[-16:]
                continue
            buffer = tail + chunk
            cut = _last_row_end(buffer)
            scan.read(buffer[:cut])
            tail = buffer[cut:]
        if member.filename == sheet:
            scan.read(tail)
    return scan


def _xlsx_records(
    name: str, data: bytes, limits: UploadLimits
) -> Iterator[tuple[int, int, list[str]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _refused(
            name, gettext("the workbook is damaged: it is not a complete .xlsx file")
        ) from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        if "mimetype" in names and b"opendocument.spreadsheet" in data[:200]:
            raise _refused(name, _not_read(gettext("an OpenDocument spreadsheet (.ods)")))
        if any(n.startswith("word/") for n in names):
            raise _refused(name, _not_read(gettext("a Word document (.docx)")))
        raise _refused(name, _not_read(gettext("a ZIP archive")))
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked or len(members) > 10_000:
        raise _refused(
            name,
            gettext(
                "the workbook unpacks to %(size)s; at most %(limit)s is accepted here: save "
                "the figures alone in a new workbook, or as CSV"
            )
            % {"size": _size(unpacked), "limit": _size(limits.max_unpacked)},
        )
    if any(member.flag_bits & 0x1 for member in members):
        raise _refused(name, _not_read(gettext("a workbook protected with a password")))
    try:
        sheet, links = _workbook_parts(name, data, archive)
        scan = _unpack(name, data, archive, sheet)
    except (_Unreadable, zlib.error):
        raise _refused(
            name,
            gettext("the workbook is damaged, or unpacks to more than it says: it is not read"),
        ) from None
    errors = []
    if links:
        errors.append(
            RowError(
                WHOLE_FILE,
                None,
                gettext(
                    "the workbook links to another workbook: a value must be a value; copy "
                    "the figures and paste them as values"
                ),
            )
        )
    for line, column in scan.formulas or []:
        errors.append(
            RowError(
                line,
                column or None,
                gettext(
                    "the cell holds a formula: a value must be a value; copy the figures and "
                    "paste them as values"
                ),
            )
        )
    if errors:
        raise ImportRefused(name, errors)
    if scan.wide is not None:
        column, line = scan.wide
        raise _refused(
            name,
            gettext(
                "a cell in column %(column)s: these files have no column beyond %(last)s; "
                "delete what is beside the table"
            )
            % {"column": column, "last": MAX_COLUMN},
            line,
        )
    if scan.last_row > limits.max_rows + SPARE_LINES:
        raise _refused(
            name,
            gettext(
                "the sheet has a cell on row %(row)s; at most %(limit)s rows are accepted "
                "here: delete what is below the table, or split the file"
            )
            % {"row": scan.last_row, "limit": limits.max_rows},
            scan.last_row,
        )

    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).iter_rows()
    except Exception:  # the reader's own errors: a workbook it cannot make sense of
        raise _refused(
            name, gettext("the workbook is damaged: its first sheet cannot be read")
        ) from None
    for index, cells in enumerate(rows):
        yield index + 1, index + 1, [_cell_text(value) for value in cells]


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # 12.0 typed into a numeric cell is the whole number 12; otherwise the shortest repr.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        # Spreadsheets turn "2020-07" into 1 July 2020: read a first-of-month date back as the
        # month it came from. Any other date is left as a date and refused by the period rules.
        if value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()[:10]
    return str(value).strip()


# Headers and rows ----------------------------------------------------------------------------

# Headers the portal's Excel template writes in Chinese, read as the fixed columns they stand
# for (interfaces.md's names stay the columns; these are accepted aliases of them).
HEADER_ALIASES = {
    "城市代码": "city_code",
    "期间": "period",
    "指标代码": "indicator",
    "数值": "value",
    "指标名称": "indicator_name",
    "单位": "unit",
    # The portal's expenditure template.
    "金额": "amount",
    "佐证材料": "evidence",
}


def _names_a_column(cells: list[str], allowed: set[str]) -> bool:
    return any(HEADER_ALIASES.get(cell.strip(), cell.strip()) in allowed for cell in cells)


def _records(
    name: str, data: bytes, allowed: set[str], limits: UploadLimits
) -> Iterator[tuple[int, int, list[str]]]:
    """The file's records, from whatever it is: a workbook, or text in any of the encodings
    officials' tools write; anything else is refused, saying what it is."""
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise _refused(name, gettext("the file is empty: it needs a header row and rows"))
    if data.startswith(ZIP):
        return _xlsx_records(name, data, limits)
    what = _signature_kind(data)
    if what is not None:
        raise _refused(name, _not_read(what))
    encoding = _bom_encoding(data)
    if encoding is None and _binary(data):
        raise _refused(name, _not_read(gettext("binary data, not text")))
    return _csv_records(name, data, _text_encoding(name, data), allowed)


def _cell_error(text: str) -> str | None:
    """Why one cell's text cannot be a value of these files, or None."""
    if len(text) > MAX_FIELD:
        return gettext("%(length)s characters; no column holds more than %(limit)s") % {
            "length": len(text),
            "limit": MAX_FIELD,
        }
    return control_character_error(text)


def _filled(records: Iterable[tuple[int, int, list[str]]]) -> Iterator[tuple[int, int, list[str]]]:
    """The records that are not blank (a blank row: no cell holds anything but spaces)."""
    for start, end, cells in records:
        if "".join(cells).strip():
            yield start, end, cells


def read_table(
    name: str,
    data: bytes,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    limits: UploadLimits | None = None,
) -> tuple[list[Row], list[RowError]]:
    """Parse ``data`` (a file called ``name``) into rows keyed by column name.

    The file is refused at once (``ImportRefused``) when it is beyond ``limits`` (the
    command's, unless told), is not a CSV file or an Excel workbook, has a missing, unknown or
    repeated column, or holds no rows. Blank rows are skipped. Rows with more fields than the
    header, or with a cell no value can be (a control character, a formula, a field longer
    than any column), come back as errors beside the good rows, so the caller can report them
    with every other bad row."""
    limits = limits or upload_limits("command")
    if len(data) > limits.max_bytes:
        raise _too_large(name, len(data), limits)
    required = list(required)
    allowed = set(required) | set(optional)
    raw = _records(name, data, allowed, limits)
    records = _filled(raw)

    # A title row above the header (a single filled cell, as spreadsheets have them) is
    # skipped when a header follows; a row with several cells is the header, right or wrong.
    first = next(records, None)
    if first is None:
        raise _refused(name, gettext("the file is empty: it needs a header row and rows"))
    while sum(1 for cell in first[2] if cell.strip()) == 1 and not _names_a_column(
        first[2], allowed
    ):
        following = next(records, None)
        if following is None:
            break
        first = following
    header_line, _end, raw_header = first
    raw_header = [HEADER_ALIASES.get(cell.strip(), cell) for cell in raw_header]
    # Trailing empty cells are common in spreadsheets; they are not columns.
    while raw_header and not raw_header[-1].strip():
        raw_header.pop()
    header = [cell.strip() for cell in raw_header]
    errors: list[RowError] = []
    for position, column in enumerate(header, start=1):
        if not column:
            errors.append(RowError(header_line, f"#{position}", gettext("a column has no name")))
        elif column not in allowed:
            errors.append(
                RowError(
                    header_line,
                    column[:40],
                    gettext("unknown column; the columns are %(columns)s")
                    % {"columns": ", ".join(sorted(allowed))},
                )
            )
        elif header.index(column) != position - 1:
            errors.append(RowError(header_line, column, gettext("the column appears twice")))
    for column in required:
        if column not in header:
            errors.append(RowError(header_line, column, gettext("required column is missing")))
    if errors:
        raise ImportRefused(name, errors)

    rows: list[Row] = []
    append = rows.append
    count = 0
    width = len(header)
    # The rows after the header, read straight from the records (``_filled`` holds none back):
    # the loop below runs once per row of a file of any size, so it does its work inline.
    for line, _last, cells in raw:
        joined = "".join(cells)
        if not joined.strip():
            continue  # a blank row
        count += 1
        if count > limits.max_rows:
            raise _refused(
                name,
                gettext(
                    "more than %(limit)s rows: at most %(limit)s rows are accepted here; split "
                    "the file"
                )
                % {"limit": limits.max_rows},
                line,
            )
        found = len(cells)
        if found > width:
            extra = [cell for cell in cells[width:] if cell.strip()]
            if extra:
                errors.append(
                    RowError(
                        line,
                        None,
                        gettext("%(fields)s fields, but the header has %(header)s")
                        % {"fields": width + len(extra), "header": width},
                    )
                )
                continue
            # Trailing blank cells: left out by the zip below.
        elif found < width:
            cells = cells + [""] * (width - found)
        values = dict(zip(header, map(str.strip, cells), strict=False))
        # Whether any cell holds what ``_cell_error`` refuses, asked of the row's cells joined
        # as read (spaces and all: when that is clean, so is each cell without its spaces).
        # The common case; any other row is checked cell by cell for the reasons.
        if len(joined) <= MAX_FIELD and CONTROL.search(joined) is None:
            append(Row(line, values))
            continue
        bad = [
            RowError(line, column, why)
            for column, text in values.items()
            if (why := _cell_error(text)) is not None
        ]
        if bad:
            errors += bad
            continue
        rows.append(Row(line, values))
    if count == 0:
        raise _refused(
            name,
            gettext("the file holds no rows: only its header, on line %(line)s")
            % {"line": header_line},
            header_line,
        )
    return rows, errors

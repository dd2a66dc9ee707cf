"""A corpus of hostile and careless files, walked through every upload point: the portal's
check and load, the API's dry run and upload, the admin's Check and Load, and the three import
commands. Each file is refused at once, in the reader's language (Chinese here: no library
text, no English inside), naming the line at fault (0: the file as a whole), and nothing is
saved.

The limits are made small for the corpus (a 256 KB file, 40 rows, 1 MB unpacked), so that files
"too large" stay quick to build; the same code reads the production limits (README)."""

from __future__ import annotations

import base64
import codecs
import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.models import City, MetricValue, OfficialAssignment, Participation, Report, Target
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.people import role_grant
from tests.conftest import xlsx_bytes
from tests.factories import ParticipationFactory, UserFactory, add_value

pytestmark = [pytest.mark.django_db, pytest.mark.chinese]

LIMITS = {"bytes": 256 * 1024, "rows": 40, "unpacked": 1 << 20}


@dataclass(frozen=True)
class Format:
    name: str
    header: list[str]
    good: list[str]


METRICS = Format(
    "metrics",
    ["city_code", "period", "indicator", "value"],
    ["210100", "2021-03", "pledge_projects", "4"],
)
TARGETS = Format(
    "targets", ["city_code", "indicator", "target"], ["210100", "pledge_projects", "0.35"]
)
CITIES = Format(
    "cities",
    ["code", "name_en", "name_zh", "province"],
    ["210100", "Shenyang", "沈阳市", "Liaoning"],
)


def text(fmt: Format, *rows: list[str], sep: str = ",") -> str:
    return "\n".join(sep.join(row) for row in [fmt.header, *rows]) + "\n"


def with_value(fmt: Format, column: str, value: str) -> list[str]:
    row = list(fmt.good)
    row[fmt.header.index(column)] = value
    return row


def workbook(fmt: Format, *rows: list[object]) -> bytes:
    return xlsx_bytes(fmt.header, *rows)


def rezip(
    data: bytes, change: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None
) -> bytes:
    """The archive with each member changed (None: left out) and members added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = change(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def padded_sheet(fmt: Format, size: int) -> bytes:
    """A workbook whose sheet unpacks to ``size`` bytes (spaces after its rows: a bomb)."""
    base = workbook(fmt, fmt.good)
    return rezip(
        base,
        lambda name, content: (
            content.replace(b"</sheetData>", b" " * size + b"</sheetData>")
            if name == "xl/worksheets/sheet1.xml"
            else content
        ),
    )


def lying_bomb(fmt: Format, size: int) -> bytes:
    """A bomb whose archive directory says its sheet is small: only unpacking shows it."""
    data = bytearray(padded_sheet(fmt, size))
    name = b"xl/worksheets/sheet1.xml"
    small = (1000).to_bytes(4, "little")
    position = bytes(data).find(b"PK\x03\x04")
    while position >= 0:
        length = int.from_bytes(data[position + 26 : position + 28], "little")
        if bytes(data[position + 30 : position + 30 + length]) == name:
            data[position + 22 : position + 26] = small
        position = bytes(data).find(b"PK\x03\x04", position + 4)
    position = bytes(data).find(b"PK\x01\x02")
    while position >= 0:
        length = int.from_bytes(data[position + 28 : position + 30], "little")
        if bytes(data[position + 46 : position + 46 + length]) == name:
            data[position + 24 : position + 28] = small
        position = bytes(data).find(b"PK\x01\x02", position + 4)
    return bytes(data)


def with_formula(fmt: Format) -> bytes:
    row = list(fmt.good)
    row[-1] = "=2+2"
    return workbook(fmt, fmt.good, row)


def with_external_link(fmt: Format) -> bytes:
    row = list(fmt.good)
    row[-1] = "=[1]Sheet1!A1"
    rels_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"

    def change(name: str, content: bytes) -> bytes:
        if name == "xl/_rels/workbook.xml.rels":
            return content.replace(
                b"</Relationships>",
                f'<Relationship Id="rId99" Type="{rels_type}" '
                'Target="externalLinks/externalLink1.xml"/></Relationships>'.encode(),
            )
        return content

    link = b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    return rezip(workbook(fmt, fmt.good, row), change, {"xl/externalLinks/externalLink1.xml": link})


def cell_at(fmt: Format, ref: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(fmt.header)
    sheet.append(fmt.good)
    sheet[ref] = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def this_month() -> str:
    today = timezone.localdate()
    return f"{today.year}-{today.month:02d}"


@dataclass(frozen=True)
class Kind:
    """A bad file: how to make it for a format, the line named, and which formats it is for
    (None: every one)."""

    id: str
    make: Callable[[Format], bytes]
    line: int
    formats: tuple[str, ...] | None = None
    name: str = "file.csv"


def _utf16(fmt: Format) -> bytes:
    bad = (
        with_value(fmt, fmt.header[-1], "x?")
        if fmt is not CITIES
        else with_value(fmt, "code", "21010")
    )
    return codecs.BOM_UTF16_LE + text(fmt, fmt.good, bad, sep="\t").encode("utf-16-le")


def _gbk_bad_bytes(fmt: Format) -> bytes:
    """Excel's GBK "CSV" with two bytes that are no character, on line 3."""
    lines = "城市数据\n" + text(fmt)
    return lines.encode("gbk") + b"210100,\xff\xfe\n" + ",".join(fmt.good).encode("gbk") + b"\n"


def _utf8_bad_byte(fmt: Format) -> bytes:
    return ("沈阳市\n" + text(fmt)).encode() + b"\xff" + ",".join(fmt.good).encode() + b"\n"


def _encrypted(fmt: Format) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le")


def _many_rows(fmt: Format) -> bytes:
    return text(fmt, *[fmt.good] * 45).encode()


def _ods(fmt: Format) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def _docx(fmt: Format) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


KINDS = [
    Kind("huge csv", lambda f: text(f, *[f.good] * 10_000).encode(), 0),
    Kind("too many rows", _many_rows, 42),
    Kind("zip bomb", lambda f: padded_sheet(f, 3 << 20), 0, name="file.xlsx"),
    Kind("zip bomb whose directory lies", lambda f: lying_bomb(f, 3 << 20), 0, name="file.xlsx"),
    Kind(
        "old .xls", lambda f: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), 0, name="file.xls"
    ),
    Kind("password-protected workbook", _encrypted, 0, name="file.xlsx"),
    Kind("UTF-16 Unicode text with a bad row", _utf16, 3, name="file.txt"),
    Kind("GBK with bad bytes", _gbk_bad_bytes, 3),
    Kind("UTF-8 with a bad byte on line 3", _utf8_bad_byte, 3),
    Kind("binary garbage", lambda f: random.Random(23).randbytes(5000), 0),
    Kind("empty", lambda f: b"", 0),
    Kind("blank lines only", lambda f: b"\r\n\r\n  ,,\r\n", 0),
    Kind("header only", lambda f: text(f).encode(), 1),
    Kind("title and header only", lambda f: ("标题\n" + text(f)).encode("gbk"), 2),
    Kind(
        "wrong columns",
        lambda f: text(Format("x", ["city", *f.header[1:]], []), f.good).encode(),
        1,
    ),
    Kind("a formula", with_formula, 3, name="file.xlsx"),
    Kind("an external link", with_external_link, 0, name="file.xlsx"),
    Kind("a NUL byte", lambda f: text(f, f.good, with_value(f, f.header[1], "a\x00b")).encode(), 3),
    Kind("a huge field", lambda f: text(f, with_value(f, f.header[1], "x" * 200_000)).encode(), 2),
    Kind("a long field", lambda f: text(f, with_value(f, f.header[1], "x" * 5_000)).encode(), 2),
    Kind(
        "an unclosed quotation mark",
        lambda f: text(f, f.good, with_value(f, f.header[1], '"abc'), f.good).encode(),
        3,
    ),
    Kind(
        "a line break inside a field",
        lambda f: text(f, with_value(f, f.header[1], '"a\nb"')).encode(),
        2,
    ),
    Kind(
        "a PDF",
        lambda f: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        0,
        name="file.pdf",
    ),
    Kind("a picture", lambda f: b"\x89PNG\r\n\x1a\n" + bytes(100), 0, name="file.png"),
    Kind(
        "a web page named .xls",
        lambda f: b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        0,
        name="file.xls",
    ),
    Kind(
        "an Excel 2003 XML spreadsheet",
        lambda f: (
            b'<?xml version="1.0"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
        ),
        0,
        name="file.xml",
    ),
    Kind("a Word document", _docx, 0, name="file.docx"),
    Kind("an OpenDocument spreadsheet", _ods, 0, name="file.ods"),
    Kind("a truncated workbook", lambda f: workbook(f, f.good)[:1500], 0, name="file.xlsx"),
    Kind("a cell far to the right", lambda f: cell_at(f, "AB4"), 4, name="file.xlsx"),
    Kind("a cell far below", lambda f: cell_at(f, "A1048576"), 1048576, name="file.xlsx"),
    Kind(
        "more fields than the header", lambda f: text(f, f.good, [*f.good, "surplus"]).encode(), 3
    ),
    Kind(
        "semicolons, with a bad row",
        lambda f: text(f, f.good, with_value(f, f.header[0], "abc"), sep=";").encode(),
        3,
    ),
    Kind(
        "a period in 2099",
        lambda f: text(f, with_value(f, "period", "2099-01")).encode(),
        2,
        ("metrics",),
    ),
    Kind(
        "this month, not ended",
        lambda f: text(f, with_value(f, "period", this_month())).encode(),
        2,
        ("metrics",),
    ),
    Kind(
        "a month beside the year's quarterly report",
        lambda f: text(f, with_value(f, "period", "2023-02")).encode(),
        2,
        ("metrics",),
    ),
    Kind(
        "a name that is a formula",
        lambda f: text(f, with_value(f, "name_en", '=HYPERLINK("http://x","Shenyang")')).encode(),
        2,
        ("cities",),
    ),
    Kind(
        "a name with a character no font has",
        lambda f: text(f, with_value(f, "name_zh", "沈阳🚀")).encode(),
        2,
        ("cities",),
    ),
]


# The upload points ---------------------------------------------------------------------------


@pytest.fixture
def world(programme, settings):
    settings.UPLOAD_LIMITS = {
        point: dict(LIMITS) for point in ("portal", "api", "admin", "command")
    }
    participation = ParticipationFactory(
        programme=programme,
        city__code="210100",
        city__name_en="Shenyang",
        city__name_zh="沈阳市",
        city__province="Liaoning",
    )
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    administrator = UserFactory(username="administrator")
    role_grant(user=administrator, role="administrator", by=None)
    # 2023 is reported by quarter: a report of 2023-Q1 (the portal, the API) and a value of it
    # (the files of the ministry).
    reporting.report_create(
        participation=participation, period=Period.parse("2023-Q1"), by=official
    )
    add_value(participation.city, "pledge_projects", "2023-Q1", "3")
    return participation, official, administrator


@dataclass(frozen=True)
class Refusal:
    lines: list[int]
    reasons: list[str]


def _from_rows(errors) -> Refusal:
    rows = [(e["line"], e["reason"]) if isinstance(e, dict) else (e.line, e.reason) for e in errors]
    return Refusal([line for line, _ in rows], [reason for _, reason in rows])


def _from_page(context) -> Refusal:
    """What the portal's page says: a refusal of the file as a whole is said of the file (line
    0), the others row by row."""
    if context.get("file_error"):
        return Refusal([0], [str(context["file_error"])])
    return _from_rows(context["errors"])


def portal_check(world, name, data) -> Refusal:
    participation, official, _ = world
    client = Client()
    client.force_login(official)
    response = client.post(
        f"/city/{participation.pk}/excel/",
        {"action": "check", "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 400, response.content.decode()[:2000]
    return _from_page(response.context)


def portal_load(world, name, data) -> Refusal:
    participation, official, _ = world
    client = Client()
    client.force_login(official)
    session = client.session
    session["portal_upload"] = {
        "participation": participation.pk,
        "name": name,
        "data": base64.b64encode(data).decode(),
    }
    session.save()
    response = client.post(f"/city/{participation.pk}/excel/", {"action": "load"})
    assert response.status_code == 400, response.content.decode()[:2000]
    return _from_page(response.context)


def _api(world, name, data, query) -> Refusal:
    participation, official, _ = world
    client = APIClient()
    client.force_authenticate(official)
    response = client.post(
        f"/api/v1/participations/{participation.pk}/upload/{query}",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
    )
    assert response.status_code == 400, response.content.decode()[:2000]
    errors = [e for e in response.json()["errors"] if "line" in e]
    return _from_rows(errors)


def api_dry_run(world, name, data) -> Refusal:
    return _api(world, name, data, "?dry_run=1")


def api_upload(world, name, data) -> Refusal:
    return _api(world, name, data, "")


def _admin(world, name, data, button) -> Refusal:
    _, _, administrator = world
    client = Client()
    client.force_login(administrator)
    response = client.post(
        "/admin/evaluation/metricvalue/load/",
        {"kind": "metrics", "file": SimpleUploadedFile(name, data), button: button},
    )
    assert response.status_code == 200
    assert response.context["errors"], response.content.decode()[:3000]
    return _from_rows(response.context["errors"])


def admin_check(world, name, data) -> Refusal:
    return _admin(world, name, data, "check")


def admin_load(world, name, data) -> Refusal:
    return _admin(world, name, data, "load")


def _command(command: str, name: str, data: bytes, tmp_path: Path, *args: str) -> Refusal:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError) as refused:
        call_command(command, str(path), *args)
    said = str(refused.value)
    lines = [int(n) for n in re.findall(r"第 (\d+) 行", said)]
    lines += [0] * len(re.findall(r"\n  整个文件：", said))
    return Refusal(lines, [line for line in said.splitlines()[1:] if not line.startswith("  …")])


POINTS: dict[str, tuple[Format, Callable[..., Refusal]]] = {
    "portal check": (METRICS, portal_check),
    "portal load": (METRICS, portal_load),
    "API dry run": (METRICS, api_dry_run),
    "API upload": (METRICS, api_upload),
    "admin Check": (METRICS, admin_check),
    "admin Load": (METRICS, admin_load),
    "import_metrics": (
        METRICS,
        lambda w, n, d, tmp_path: _command("import_metrics", n, d, tmp_path),
    ),
    "import_targets": (
        TARGETS,
        lambda w, n, d, tmp_path: _command("import_targets", n, d, tmp_path, "--programme", "2020"),
    ),
    "import_cities": (
        CITIES,
        lambda w, n, d, tmp_path: _command("import_cities", n, d, tmp_path, "--programme", "2020"),
    ),
}

# Words a Chinese reason may hold in Latin letters: the fixed columns, the indicators' codes, the
# names of file formats and encodings, sizes.
ALLOWED = {
    *METRICS.header,
    *TARGETS.header,
    *CITIES.header,
    "indicator_name",
    "unit",
    "total_amount",
    "first_tranche",
    "pledge_projects",
    "CSV",
    "UTF",
    "GBK",
    "GB18030",
    "XLSX",
    "xlsx",
    "xls",
    "Excel",
    "PDF",
    "PNG",
    "JPEG",
    "GIF",
    "RAR",
    "gzip",
    "Zip",
    "ZIP",
    "HTML",
    "RTF",
    "XML",
    "OpenDocument",
    "ods",
    "docx",
    "Word",
    "NUL",
    "Unicode",
    "HYPERLINK",
    "http",
    "Shenyang",
    "abc",
    "city",
    "surplus",
}


def english_words(reason: str) -> set[str]:
    return {
        word
        for word in re.findall(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z_]{2,}(?![A-Za-z0-9_])", reason)
        if word not in ALLOWED and not set(word) <= {"x"}
    }


def snapshot() -> tuple[int, ...]:
    return (
        MetricValue.objects.count(),
        Report.objects.count(),
        City.objects.count(),
        Participation.objects.count(),
        Target.objects.count(),
        *City.objects.filter(code="210100").values_list("name_en", flat=True),
    )


CASES = [
    pytest.param(point, kind, id=f"{point}: {kind.id}")
    for point, (fmt, _) in POINTS.items()
    for kind in KINDS
    if kind.formats is None or fmt.name in kind.formats
]


@pytest.mark.parametrize(("point", "kind"), CASES)
def test_every_bad_file_is_refused_at_every_upload_point(point, kind, world, tmp_path):
    fmt, send = POINTS[point]
    data = kind.make(fmt)
    before = snapshot()

    if point.startswith("import_"):
        refusal = send(world, kind.name, data, tmp_path)
    else:
        refusal = send(world, kind.name, data)

    assert kind.line in refusal.lines, (refusal.lines, refusal.reasons)
    assert all(re.search(r"[\u4e00-\u9fff]", reason) for reason in refusal.reasons), refusal.reasons
    assert not set().union(*(english_words(r) for r in refusal.reasons)), refusal.reasons
    assert snapshot() == before


def test_the_corpus_is_every_kind_the_probe_sent():
    """The issue's 32 kinds of bad file, and more: each one at each of the nine points."""
    assert len(KINDS) >= 32
    assert len({point for point, _ in [c.values for c in CASES]}) == 9

"""Benchmark: the upload limits hold. For each upload point's limits (a city's uploads, portal
and API; the ministry's loads, admin and commands) it reads the largest file allowed, CSV and
XLSX, and prints the time and the peak memory; then it sends hostile files (a 50 MB CSV, a
3 MB workbook that unpacks to 1 GB, the same with a directory that lies, a sheet reaching row
1,048,576) and prints how soon each is refused and what it cost.

Not a test: run it by hand and record the figures in docs/benchmarks.md.

    .venv/bin/python bench/uploads.py

Each case runs in a fresh process; "memory" is the process's peak resident size during the case
(Linux's ``VmHWM``, reset when the case begins; it counts the fast reader's own allocations
too) less its resident size when the case began.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

INDICATORS = [
    "transfer_licence_count",
    "pledge_amount",
    "pledge_projects",
    "contract_turnover",
    "sme_transformations",
    "certified_entities",
    "securitization_products",
    "navigation_projects",
    "trusteeship_smes",
    "operation_centres",
]
HEADER = ["city_code", "period", "indicator", "value"]


def metric_rows(count: int) -> list[list[str]]:
    rng = random.Random(23)
    rows = []
    for n in range(count):
        city = f"{800000 + n // 480:06d}"
        month = n // 10 % 48
        period = f"{2019 + month // 12}-{month % 12 + 1:02d}"
        rows.append([city, period, INDICATORS[n % 10], f"{rng.randint(0, 99999)}.{n % 100:02d}"])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    from evaluation.writers import csv_bytes

    path.write_bytes(csv_bytes([HEADER, *rows]))


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for city, period, indicator, value in rows:
        sheet.append([city, period, indicator, float(value)])
    book.save(path)


def write_bomb(path: Path, unpacked: int) -> None:
    """A workbook whose sheet unpacks to ``unpacked`` bytes of spaces (written in a stream)."""
    import io

    from tests.conftest import xlsx_bytes

    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes(HEADER, metric_rows(1)[0])))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            content = base.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, content)
                continue
            head, tail = content.split(b"</sheetData>")
            with archive.open(info.filename, "w") as member:
                member.write(head)
                block = b" " * (1 << 20)
                for _ in range(unpacked // len(block)):
                    member.write(block)
                member.write(b"</sheetData>" + tail)


def lie_about(path: Path, member: bytes = b"xl/worksheets/sheet1.xml") -> None:
    """Make the archive's directory say the member unpacks to 1,000 bytes."""
    data = bytearray(path.read_bytes())
    for signature, size_at, name_at, length_at in (
        (b"PK\x03\x04", 22, 30, 26),
        (b"PK\x01\x02", 24, 46, 28),
    ):
        at = data.find(signature)
        while at >= 0:
            length = int.from_bytes(data[at + length_at : at + length_at + 2], "little")
            if bytes(data[at + name_at : at + name_at + length]) == member:
                data[at + size_at : at + size_at + 4] = (1000).to_bytes(4, "little")
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def far_row(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(metric_rows(1)[0])
    sheet["A1048576"] = 1
    book.save(path)


# One case, in its own process -----------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _resident_kb() -> int:
    """The process's resident size now, its peak reset to it (Linux: ``clear_refs`` 5), so the
    peak read after the case (``VmHWM``) is the case's own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def run_case(point: str, path: str, how: str) -> dict[str, object]:
    import django

    django.setup()
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from evaluation.exceptions import ImportRefused
    from evaluation.tabular import read_table, upload_limits, upload_read

    limits = upload_limits(point)
    before = _resident_kb()
    started = time.perf_counter()
    outcome: str
    try:
        if how == "upload":
            size = Path(path).stat().st_size
            upload = TemporaryUploadedFile(Path(path).name, "text/csv", size, None)
            upload.file.close()
            upload.file = open(path, "rb")  # noqa: SIM115 - the upload's own file
            data = upload_read(upload, limits=limits)
        else:
            data = Path(path).read_bytes()
        rows, errors = read_table(Path(path).name, data, required=HEADER, limits=limits)
        outcome = f"read: {len(rows):,} rows, {len(errors)} errors"
    except ImportRefused as refused:
        error = refused.errors[0]
        outcome = f"refused (line {error.line}): {error.reason[:70]}"
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    return {"seconds": seconds, "memory_mb": (peak - before) / 1024, "outcome": outcome}


def case_in_a_new_process(point: str, path: Path, how: str = "read") -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--case", point, str(path), how],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import django

    django.setup()
    from evaluation.tabular import upload_limits

    work = Path(tempfile.mkdtemp(prefix="uploads-bench-"))
    print(f"Python {sys.version.split()[0]}; files in {work}")
    city, ministry = upload_limits("api"), upload_limits("command")
    print(
        f"limits: city uploads {city.max_bytes >> 20} MB, {city.max_rows:,} rows, "
        f"{city.max_unpacked >> 20} MB unpacked; ministry loads {ministry.max_bytes >> 20} MB, "
        f"{ministry.max_rows:,} rows, {ministry.max_unpacked >> 20} MB unpacked"
    )
    cases: list[tuple[str, str, Path, str]] = []
    for point, limits in (("api", city), ("command", ministry)):
        rows = metric_rows(limits.max_rows)
        for kind, write in (("csv", write_csv), ("xlsx", write_xlsx)):
            path = work / f"{point}-largest.{kind}"
            write(path, rows)
            label = f"{point}: largest allowed {kind.upper()}, {limits.max_rows:,} rows"
            cases.append((label, point, path, "read"))
    huge = work / "huge.csv"
    with huge.open("w", encoding="utf-8") as out:
        out.write(",".join(HEADER) + "\n")
        while out.tell() < 50 << 20:
            out.writelines(",".join(row) + "\n" for row in metric_rows(10_000))
    bomb = work / "bomb.xlsx"
    write_bomb(bomb, 1 << 30)
    liar = work / "lying-bomb.xlsx"
    write_bomb(liar, 1 << 30)
    lie_about(liar)
    far = work / "far-row.xlsx"
    far_row(far)
    packed = bomb.stat().st_size / 2**20
    for point in ("api", "command"):
        cases += [
            (f"{point}: a 50 MB CSV (uploaded)", point, huge, "upload"),
            (
                f"{point}: a {packed:.1f} MB workbook unpacking to 1 GB",
                point,
                bomb,
                "read",
            ),
            (f"{point}: the same, its directory lying", point, liar, "read"),
            (f"{point}: a sheet with a cell on row 1,048,576", point, far, "read"),
        ]
    print(f"{'case':<58} {'size':>8} {'time':>8} {'memory':>9}  outcome")
    for label, point, path, how in cases:
        result = case_in_a_new_process(point, path, how)
        size = path.stat().st_size / 2**20
        print(
            f"{label:<58} {size:>6.1f}MB {result['seconds']:>7.2f}s "
            f"{result['memory_mb']:>7.1f}MB  {result['outcome']}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], sys.argv[3], sys.argv[4])))
    else:
        main()

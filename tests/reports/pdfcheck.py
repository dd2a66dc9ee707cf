"""What a reader of a PDF would notice about its fonts: every font embedded (the document looks
the same on any computer), and no character drawn as a box because no font had it.

WeasyPrint subsets each font and writes a ToUnicode map from glyph ids to characters. A
character that no font could draw gets the glyph id 0 (.notdef) or 0xFFFF, an id that is not
in the embedded font; both are refused here, as is a glyph missing from the embedded subset."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from pypdf import PdfReader


@dataclass
class FontUse:
    name: str
    embedded: bool
    characters: set[str] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)


def _to_unicode(font) -> dict[int, str]:
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for cid, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(cid, 16)] = bytes.fromhex(text).decode("utf-16-be", errors="replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for start, end, text in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first = int(text, 16)
            for offset, cid in enumerate(range(int(start, 16), int(end, 16) + 1)):
                out[cid] = chr(first + offset)
    return out


def _glyph_count(descriptor) -> int | None:
    """How many glyphs the embedded font program holds (None when it cannot be read)."""
    if "/FontFile2" in descriptor:
        font = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        return len(font.getGlyphOrder())
    if "/FontFile3" in descriptor:
        stream = descriptor["/FontFile3"].get_object()
        data = stream.get_data()
        if stream.get("/Subtype") == "/OpenType":
            return len(TTFont(io.BytesIO(data)).getGlyphOrder())
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        top = cff[cff.fontNames[0]]
        charset = top.charset
        if hasattr(top, "ROS"):
            # CID-keyed: glyphs are named cidNNNNN by their CID; the highest present bounds it.
            return max(int(name[3:]) for name in charset if name.startswith("cid")) + 1
        return len(charset)
    return None


def fonts_used(data: bytes) -> list[FontUse]:
    reader = PdfReader(io.BytesIO(data))
    uses: dict[str, FontUse] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        fonts = resources.get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font["/BaseFont"])
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            use = uses.setdefault(name, FontUse(name=name, embedded=embedded))
            mapping = _to_unicode(font) if "/ToUnicode" in font else {}
            count = _glyph_count(descriptor) if embedded else None
            for cid, text in mapping.items():
                use.characters.add(text)
                if cid in (0, 0xFFFF) or (count is not None and cid >= count):
                    use.missing.append(text)
    return list(uses.values())


def assert_no_tofu(data: bytes, *, chinese: str) -> None:
    """Every font is embedded, no character is drawn as a box, and the Chinese text
    ``chinese`` is drawn with a CJK font."""
    uses = fonts_used(data)
    assert uses, "the PDF has no text"
    assert all(use.embedded for use in uses), [u.name for u in uses if not u.embedded]
    missing = {u.name: u.missing for u in uses if u.missing}
    assert not missing, f"characters drawn as boxes: {missing}"
    cjk = set().union(*(u.characters for u in uses if "CJK" in u.name))
    wanted = {c for c in chinese if not c.isspace() and ord(c) > 0x2E80}
    assert wanted <= cjk, f"not drawn with a Chinese font: {sorted(wanted - cjk)}"

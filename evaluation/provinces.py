"""The provinces (省级行政区) a city belongs to, read from its division code: the first two
digits of a 6-digit administrative division code (GB/T 2260) are its province's, so a city's
province is never typed twice and cannot disagree with its code. A provincial reviewer is bound
to one of these codes (``ProvincialReviewer.province``)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# code: (Chinese name, English name)
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"),
    "12": ("天津市", "Tianjin"),
    "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"),
    "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"),
    "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"),
    "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"),
}


def province_of(city_code: str) -> str:
    """The province code of a city's 6-digit division code."""
    return city_code[:2]


def province_name(code: str) -> str:
    """The province's name in the active language (its code if unknown)."""
    names = PROVINCES.get(code)
    if names is None:
        return code
    return names[1] if (get_language() or "").startswith("en") else names[0]


def province_error(code: str) -> str | None:
    """Why ``code`` names no province, or None."""
    if code in PROVINCES:
        return None
    return str(_("%(code)s is not a province's code (the first two digits of a division code)")) % {
        "code": code
    }


def province_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {zh}") for code, (zh, _en) in PROVINCES.items()]

"""Does a de-identified text look as if it names someone? A warning's evidence, not a proof.

Filters 1 and 2 share no identity (DOMAIN.md), yet a summary is typed by a person. This finds
what identity typed into free text most often looks like, in English and Vietnamese: an email,
a phone or card/ID number (nine digits or more), a birth date (a date next to "born", "DOB",
"sinh"...), a street address, and a name where the text itself says one follows (a Vietnamese
family name and given names, "Mr", "named", "tên", "anh/chị/em/bé" before a capitalised word).
An age group ("12-15"), a count ("2 children"), a date without a word of birth (a meeting's)
and a hotline (111, 18008065) are not flagged. The adapters warn and let the writer confirm;
only the kinds found are returned, never the matched text, so nothing identifying is kept,
logged or echoed.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters scanned (a summary holds at most workflow.filter_one.SUMMARY_LIMIT, 1000).
SCAN_LIMIT = 4000
#: The kinds, in the order a warning lists them.
KINDS = ("name", "birth_date", "phone_or_id", "email", "address")

_UP = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_WORD = rf"[{_UP}][^\W\d_]*"  # a capitalised word, Vietnamese letters included
#: Common Vietnamese family names; those that begin place names (Hà Nội, Cao Bằng) are left out.
_SURNAMES = "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Trịnh"
_PLACES = r"(?!(?:Hồ Chí Minh|Phan Thiết|Phan Rang|Hoàng Sa|Lý Sơn)\b)"
#: Bodies that follow a pronoun-like word without naming a person ("em Trường" is not one).
_BODIES = r"(?!(?:Công|Hội|Đoàn|Ủy|UBND|Trung|Phòng|Sở|Bệnh|Trường|Tết)\b)"
_DATE = (r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}"
         r"|\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}"
         r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
         r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})")
_STREET = (r"St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Cres|Crescent|Ct|Court|Lane|"
           r"Ln|Way|Pl|Place|Terrace|Hwy|Highway|Pkwy|Parkway|Circle|Sq|Square")

_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "email": (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),),
    # nine digits or more, at most one space, dot, dash or bracket between two of them
    "phone_or_id": (re.compile(r"(?<![\w])\+?\(?\d(?:[ .\-/)(]{0,2}\d){8,}(?![\w])"
                               r"(?!\s*(?i:đồng|đ\b|vnđ|vnd|\$|dollars))"),
                    re.compile(r"(?<!\w)[A-Z]{1,3}\d{8,}(?!\w)"),  # a health-insurance card
                    re.compile(r"(?<![\w\-/])\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}(?![\w\-/])"),
                    re.compile(r"(?<![\w\-/.])\d{3}-\d{4}(?![\w\-/])")),
    "birth_date": (re.compile(
        rf"(?i:(?<!\w)(?:born|birth|birthday|dob|d\.o\.b\.?|b\.|sinh|ngày sinh|ns|sn)(?!\w)"
        rf"[\s:,]*(?:on\s+|ngày\s+)?){_DATE}"),),
    "address": (re.compile(rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{_WORD}\s+){{1,4}}(?:{_STREET})\b\.?"),
                re.compile(r"(?i:\b(?:số nhà|ngõ|ngách|hẻm|kiệt)\s*\d+)"),
                re.compile(rf"\b\d+[A-Za-z]?(?:/\d+)*\s+(?:(?i:đường|phố)\s+)?{_WORD}\s+{_WORD}"
                           r"(?:,\s*(?i:phường|quận|xã|huyện|p\.|q\.))"),
                re.compile(rf"\b\d+[A-Za-z]?(?:/\d+)*\s+(?i:đường|phố)\s+{_WORD}"),
                re.compile(rf"(?<!\w)(?i:đường)\s+(?!Dây\b){_WORD}\s+{_WORD}")),
    "name": (re.compile(rf"\b{_PLACES}(?:{_SURNAMES})(?:\s+{_WORD}){{1,3}}"),
             re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+{_WORD}"),
             re.compile(rf"\b(?i:named|name is|name:)\s+{_WORD}"),
             re.compile(rf"(?<!\w)(?:tên là|tên|họ tên|anh|chị|em|bé|cháu|ông|bà|cô)\s+"
                        rf"{_BODIES}{_WORD}")),
}


def identifying_kinds(text: str) -> tuple[str, ...]:
    """The kinds of identity `text` seems to hold (see `KINDS`), in that order; () if none."""
    if not text or not text.strip():
        return ()
    # A summary longer than this is refused for its length anyway; the bound keeps the scan's
    # cost (some patterns backtrack quadratically) to ~0.1 s whatever a request body holds.
    normal = unicodedata.normalize("NFC", text[:SCAN_LIMIT])
    return tuple(kind for kind in KINDS if any(p.search(normal) for p in _PATTERNS[kind]))

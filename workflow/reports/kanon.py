"""k-anonymity for the per-record export, checked against the aggregate report beside it.

Why: a record-level file can single people out in a small community even when every figure
is suppressed, and it can give back, by counting rows, a number the report hides as "<5".
So before any record leaves:
1. generalise the quasi-identifiers (month -> quarter -> year, narrow age groups -> child/adult)
   until few records sit in a combination shared by fewer than k records, then suppress the
   quasi-identifiers of those few ("x");
2. hide rare values of the other coded columns (and rare codes in the lists) the same way;
3. audit: for every count the report hides, count the records that surely match it and those
   that might; if both bounds meet, the export would reveal it, so generalise further or hide
   that column, and audit again.
k is the table's small-cell threshold. What was done is written into a Method section.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from workflow.reports.suppression import HIDDEN

NA = "N/A"
QUASI = ("month_presented", "age_group", "gender", "situation_type", "originating_sector",
         "lead_sector", "decision", "outcome")
CODED = ("rejection_reason", "re_presentation", "help_source", "first_contact_within_deadline",
         "month_closed", "conclusion_reason", "persons_affected")
LISTS = ("risk_categories", "risk_factors", "aer_reasons", "assisting_sectors", "services",
         "protective_factors")
CHILD_GROUPS = frozenset({"0-5", "6-11", "12-15", "16-17"})
#: (period, age) generalisation levels, least to most general
LEVELS = (("month", "narrow"), ("quarter", "narrow"), ("quarter", "wide"), ("year", "wide"),
          ("all", "wide"))
MAX_SUPPRESSED_SHARE = 0.05


def _period(month: str, level: str) -> str:
    if not month or month == HIDDEN or level == "month":
        return month
    if level == "quarter":
        return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
    return month[:4] if level == "year" else "all"


def _age(group: str, level: str) -> str:
    if level == "narrow" or group in ("", HIDDEN):
        return group
    return "0-17" if group in CHILD_GROUPS else "18+"


def _covers(value: str, want: str, column: str) -> bool:
    """Could a generalised value stand for `want`?"""
    if value == HIDDEN:
        return True
    if column in ("month_presented", "month_closed") and want and len(want) == 7:
        return value in (_period(want, "quarter"), _period(want, "year"), "all")
    if column == "age_group":
        return value == _age(want, "wide")
    return False


@dataclass
class Outcome:
    rows: list[dict[str, object]]
    method: list[str] = field(default_factory=list)


def _split(value: object) -> list[str]:
    return [v for v in str(value or "").split(";") if v]


class Anonymiser:
    def __init__(self, rows: list[dict[str, object]], k: int,
                 hidden_cells: Mapping[Hashable, tuple[list[tuple[str, str]], int]]) -> None:
        self.raw = rows
        self.k = k
        self.cells = hidden_cells  # report key -> (constraints, true count)
        self.level = 0
        self.blanked: set[str] = set()

    def run(self) -> Outcome:
        if self.k <= 1:
            return Outcome([dict(r) for r in self.raw], ["k = 1: no generalisation needed"])
        if len(self.raw) < self.k:
            return Outcome([], [f"fewer than k = {self.k} records: none exported"])
        self.level = self._first_level()
        for _ in range(len(LEVELS) + len(QUASI) + len(CODED) + len(LISTS) + 2):
            rows, notes = self._apply()
            pinned = self._pinned(rows)
            if not pinned:
                return Outcome(rows, self._method(notes))
            columns = {c for col_set in pinned for c in col_set}
            if columns & {"month_presented", "month_closed", "age_group"} and \
                    self.level < len(LEVELS) - 1:
                self.level += 1
            else:
                self.blanked |= columns
        rows, notes = self._apply()
        return Outcome(rows, self._method(notes))

    # -- step 1: generalise, then suppress small classes ----------------------------------
    def _generalised(self, level: int) -> list[dict[str, object]]:
        period, age = LEVELS[level]
        out = []
        for r in self.raw:
            g = dict(r)
            g["month_presented"] = _period(str(r.get("month_presented") or ""), period)
            g["month_closed"] = _period(str(r.get("month_closed") or ""), period)
            g["age_group"] = _age(str(r.get("age_group") or ""), age)
            out.append(g)
        return out

    @staticmethod
    def _key(r: Mapping[str, object]) -> tuple[object, ...]:
        # The table too: a record shows it, and a region's export must not let the records
        # of one table be counted into a number that table's own report hides.
        return (r.get("table"), *(r.get(c) for c in QUASI))

    def _first_level(self) -> int:
        for level in range(len(LEVELS)):
            rows = self._generalised(level)
            sizes = Counter(self._key(r) for r in rows)
            small = sum(1 for r in rows if sizes[self._key(r)] < self.k)
            if small <= MAX_SUPPRESSED_SHARE * len(rows):
                return level
        return len(LEVELS) - 1

    def _apply(self) -> tuple[list[dict[str, object]], list[str]]:
        rows = self._generalised(self.level)
        sizes = Counter(self._key(r) for r in rows)
        suppressed = 0
        for r in rows:
            if sizes[self._key(r)] < self.k:
                suppressed += 1
                for c in r:  # every column: an "N/A" or a conclusion would tell the decision
                    if c not in ("record", "table"):
                        r[c] = HIDDEN
        notes = [f"{suppressed} record(s) in combinations shared by fewer than k were "
                 "suppressed (every column but the table shown as 'x')" if suppressed else
                 "no record needed its quasi-identifiers suppressed"]
        # -- step 2: rare values of the other coded columns, rare codes in lists ----------
        for c in CODED:
            hidden = self._hide_rare(rows, c)
            if hidden:
                notes.append(f"{c}: {hidden} rare value(s) shown as 'x'")
        for c in LISTS:
            counts = Counter(code for r in rows for code in _split(r.get(c)) if code != NA)
            rare = {code for code, n in counts.items() if n < self.k}
            if rare:
                notes.append(f"{c}: {len(rare)} code(s) used by fewer than k records left out "
                             "(the list then ends with 'x')")
                for r in rows:
                    codes = _split(r.get(c))
                    if set(codes) & rare:
                        r[c] = ";".join([x for x in codes if x not in rare] + [HIDDEN])
        for c in sorted(self.blanked):
            for r in rows:
                if r.get(c) not in ("", NA):
                    r[c] = HIDDEN
        return rows, notes

    def _hide_rare(self, rows: list[dict[str, object]], column: str) -> int:
        """Values used by 1..k-1 records become 'x'; if the 'x' group itself would be small,
        the next rarest values join it (so it cannot be read as one small count)."""
        counts = Counter(str(r.get(column) or "") for r in rows if r.get(column) != HIDDEN)
        counts.pop(NA, None)
        rare = {v for v, n in counts.items() if n < self.k}
        if not rare:
            return 0
        total = sum(counts[v] for v in rare)
        for value, n in sorted(counts.items(), key=lambda item: item[1]):
            if total >= self.k:
                break
            if value not in rare:
                rare.add(value)
                total += n
        for r in rows:
            if str(r.get(column) or "") in rare:
                r[column] = HIDDEN
        return len(rare)

    # -- step 3: the audit against the report's hidden counts -----------------------------
    def _pinned(self, rows: list[dict[str, object]]) -> list[set[str]]:
        out = []
        for constraints, _true in self.cells.values():
            low, high = bounds(rows, constraints)
            if low == high:
                out.append({c for c, _ in constraints} or {"decision"})
        return out

    def _method(self, notes: list[str]) -> list[str]:
        period, age = LEVELS[self.level]
        lines = [
            f"k-anonymity with k = {self.k} (the table's small-cell threshold) over "
            f"{', '.join(('table', *QUASI))}",
            f"periods given by {period}, age groups {age}"
            + (" (0-17 / 18+)" if age == "wide" else ""),
            *notes,
        ]
        if self.blanked:
            lines.append("hidden entirely so that no count the report suppresses can be "
                         f"rebuilt from the records: {', '.join(sorted(self.blanked))}")
        lines.append("checked: for every count the report suppresses, the records give only "
                     "a range, never the number")
        return lines


ANY = "*"


def _definite(value: object, want: str, column: str) -> bool:
    if column in LISTS:
        return want in _split(value)
    text = str(value or "")
    if want == ANY:
        return text not in ("", HIDDEN, NA)
    return text == want


def _possible(value: object, want: str, column: str) -> bool:
    if column in LISTS:
        return HIDDEN in _split(value)
    text = str(value or "")
    if want == ANY:
        return text == HIDDEN
    return _covers(text, want, column)


def bounds(rows: list[dict[str, object]], constraints: list[tuple[str, str]]) -> tuple[int, int]:
    """(records that surely match, records that might): equal bounds reveal the count."""
    low = high = 0
    for r in rows:
        sure = maybe = True
        for column, want in constraints:
            value = r.get(column)
            if _definite(value, want, column):
                continue
            sure = False
            if not _possible(value, want, column):
                maybe = False
                break
        low += sure
        high += maybe
    return low, high

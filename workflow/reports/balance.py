"""A table that sees its own balance: each sector's share of situations originated, led and
assisted, against the table's optional targets, and the time from submission to decision to
first contact against its target hours.

Targets live in Table.targets (percent or hours), e.g.
    {"led_max": {"police": 40}, "originated_max": {"police": 50},
     "hours_to_decision": 48, "hours_to_first_contact": 48}
Counts join the report's one suppression problem (their own cell keys, relations to their
totals); a share is hidden whenever it would reveal a small count.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from workflow.models import Table
from workflow.reports.durations import micros_histogram
from workflow.reports.figures import NO_LEAD, FigureBuilder, dec
from workflow.reports.indicators import NO_DATA, SUPPRESSED, share_cell
from workflow.reports.model import Cell, Figure, FigureSpec, Indicator
from workflow.reports.phrase import Phrase
from workflow.reports.sql import S
from workflow.reports.words import SECTOR

ROLES = ("originated", "led", "assisted")
#: A sector's target, by role: one template each, so that a translation words each role.
TARGET_TITLES = {"originated": "%(sector)s: share originated (at most %(target)s%%)",
                 "led": "%(sector)s: share led (at most %(target)s%%)",
                 "assisted": "%(sector)s: share assisted (at most %(target)s%%)"}


@dataclass(frozen=True)
class Share:
    """A share of two cells, rendered only after suppression: hidden when either count is,
    or when it would reveal a small count (suppression.share_hidden)."""

    numerator: Hashable
    denominator: Hashable

    def cell(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
             threshold: int) -> Cell:
        num, den = values.get(self.numerator, 0), values.get(self.denominator, 0)
        if den == 0 and self.denominator not in hidden:
            return Cell(0, NO_DATA)  # an empty figure, not a hidden one
        if self.numerator in hidden or self.denominator in hidden:
            return Cell(None, SUPPRESSED)
        if num == 0:
            return Cell(0.0, "0")  # nothing to hide in a zero
        return share_cell(num, den, threshold)


@dataclass
class ShareFigureSpec(FigureSpec):
    def render(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
               threshold: int) -> Figure:
        def resolve(entries: list[Any]) -> list[Any]:
            return [e.cell(values, hidden, threshold) if isinstance(e, Share) else e
                    for e in entries]

        self.rows = [(code, label, resolve(entries)) for code, label, entries in self.rows]
        if self.total_row is not None:
            self.total_row = resolve(self.total_row)
        return super().render(values, hidden, threshold)


@dataclass
class Targeted:
    """A balance target, judged once suppression is solved."""

    key: str
    title: str
    share: Share
    target: float

    def indicator(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
                  threshold: int) -> Indicator:
        cell = self.share.cell(values, hidden, threshold)
        if cell.value == 0.0 and cell.text == "0":
            cell = Cell(0.0, "0%")
        met = None if cell.value is None else cell.value <= self.target
        return Indicator(key=self.key, title=self.title, share=cell, target=self.target,
                         met=met)


#: Each count of the balance figure is a count another figure prints too (the originating
#: and lead sectors' figures, the assisting sectors', the decisions): it takes that figure's
#: cell key, so a count hidden there is hidden here alike (else subtracting gives it back).
ORIGINATED_TOTAL = dec("total")
LED_TOTAL = ("balance", "led", "total")  # accepted less those without a lead yet
ACCEPTED = dec("accepted")


def count_key(role: str, sector: str) -> Hashable:
    """The cell of a sector's count in the figure that prints it first."""
    return {"originated": ("origin_sector", sector, "total"), "led": ("lead_sector", sector),
            "assisted": ("assist_sector", sector)}[role]


def table_targets(fb: FigureBuilder) -> dict[Any, Any]:
    """The strictest target any table in scope set (lowest maximum share, fewest hours)."""
    out: dict[Any, Any] = {}  # (role, sector) -> max share, or an hours key -> hours
    for t in fb.session.scalars(select(Table).where(Table.id.in_(fb.scope.table_ids))):
        targets = t.targets if isinstance(t.targets, dict) else {}
        for role in ROLES:
            for sector, value in (targets.get(f"{role}_max") or {}).items():
                if isinstance(value, int | float):
                    key = (role, sector)
                    out[key] = min(float(value), out.get(key, float(value)))
        for hours_key in ("hours_to_decision", "hours_to_first_contact"):
            value = targets.get(hours_key)
            if isinstance(value, int | float):
                out[hours_key] = min(float(value), out.get(hours_key, float(value)))
    return out


def build(fb: FigureBuilder) -> tuple[list[FigureSpec], list[Targeted | Timeliness]]:
    """The balance figure, its targets (judged after suppression) and the time indicators."""
    # The report's own breakdowns already hold these counts (from the rollups when they
    # exist): originated = the presented cohort by originating sector, led = the accepted
    # cohort by lead sector (those with a lead), assisted = the assisting sectors' figure.
    originated: dict[str, int] = {}
    for sector, _decision, n in fb._presented["origin_sector"]:
        originated[sector] = originated.get(sector, 0) + int(n)
    lead_rows = fb.accepted_rows["lead_sector"]
    led = {row[0]: int(row[1]) for row in lead_rows if row[0] != NO_LEAD}
    assisted = fb.assisting if fb.assisting is not None else fb._assisting_counts()
    accepted_n = sum(int(row[1]) for row in lead_rows)
    totals = {"originated": ORIGINATED_TOTAL, "led": LED_TOTAL, "assisted": ACCEPTED}
    fb.put(ORIGINATED_TOTAL, sum(originated.values()))
    fb.put(LED_TOTAL, sum(led.values()))
    fb.put(ACCEPTED, accepted_n)
    targets = table_targets(fb)
    sectors = fb.codes("sectors", set(originated) | set(led) | set(assisted))
    counts = {"originated": originated, "led": led, "assisted": assisted}
    rows, targeted = [], []
    for sector in sectors:
        entries: list[Any] = []
        for role in ROLES:
            key = count_key(role, sector)
            fb.put(key, int(counts[role].get(sector, 0)))
            share = Share(key, totals[role])
            entries += [key, share]
            target = targets.get((role, sector))
            if target is not None:
                targeted.append(Targeted(
                    f"balance.{role}.{sector}",
                    Phrase(TARGET_TITLES[role], sector=fb.label("sectors", sector),
                           target=float(target)),
                    share, target))
        rows.append((sector, fb.label("sectors", sector), entries))
    fb.problem.relate([count_key("originated", s) for s in sectors], ORIGINATED_TOTAL)
    fb.problem.relate([count_key("led", s) for s in sectors], LED_TOTAL)
    fb.problem.relate([LED_TOTAL, ("lead_sector", NO_LEAD)], ACCEPTED)
    spec = ShareFigureSpec(
        key="balance_sectors",
        title=Phrase("Balance: situations originated, led and assisted by sector"),
        row_title=SECTOR,
        columns=[("originated", Phrase("Originated")),
                 ("originated_share", Phrase("Originated (%)")),
                 ("led", Phrase("Led")), ("led_share", Phrase("Led (%)")),
                 ("assisted", Phrase("Assisted")), ("assisted_share", Phrase("Assisted (%)"))],
        rows=rows,
        total_row=[ORIGINATED_TOTAL, Cell(None, ""), LED_TOTAL, Cell(None, ""),
                   ACCEPTED, Cell(None, "")],
        note=Phrase("Assisted: a situation counts once per assisting sector, over accepted "
                    "situations."),
        chart="none")
    return [spec], [*targeted, *_timeliness(fb, targets)]


def _hours(micros: int) -> float:
    """Hours as timedelta.total_seconds() / 3600 gives them (the same float, bit for bit)."""
    return micros / 10**6 / 3600


def median_hours(hist: Mapping[int, int]) -> float | None:
    """statistics.median of the hours a {microseconds: situations} histogram describes."""
    n = sum(hist.values())
    if not n:
        return None
    wanted = sorted({(n - 1) // 2, n // 2})
    found: dict[int, float] = {}
    seen = 0
    for micros in sorted(hist):
        seen += hist[micros]
        for rank in wanted:
            if rank < seen and rank not in found:
                found[rank] = _hours(micros)
        if len(found) == len(wanted):
            break
    if n % 2:
        return found[n // 2]
    return (found[n // 2 - 1] + found[n // 2]) / 2


@dataclass
class Timeliness:
    """Time to decision or first contact, judged once suppression is solved: shown only when
    the counts it rests on are shown (else subtracting them would tell a hidden one)."""

    key: str
    title: Phrase
    hist: dict[int, int]  # {microseconds: situations}
    rests_on: tuple[Hashable, ...]
    target: float | None

    def indicator(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
                  threshold: int) -> Indicator:
        n = sum(self.hist.values())
        blocked = any(k in hidden for k in self.rests_on) or n < threshold
        if self.target is None:
            found = None if blocked else median_hours(self.hist)
            mid = None if found is None else round(found, 1)
            cell = (Cell(None, SUPPRESSED) if mid is None
                    else Cell(mid, Phrase("%(hours)s h median", hours=float(mid))))
            return Indicator(key=self.key,
                             title=Phrase("%(measure)s (median hours)", measure=self.title),
                             share=cell, target=None, met=None)
        target = self.target
        within = sum(k for micros, k in self.hist.items() if _hours(micros) <= target)
        cell = (Cell(None, SUPPRESSED) if blocked else share_cell(within, n, threshold))
        return Indicator(key=self.key,
                         title=Phrase("%(measure)s within %(hours)s hours", measure=self.title,
                                      hours=float(self.target)),
                         share=cell, target=100.0,
                         met=None if cell.value is None else cell.value >= 100.0)


def _timeliness(fb: FigureBuilder, targets: dict[str, Any]) -> list[Timeliness]:
    c = fb.cohorts
    if fb.counts is not None:  # from the rollups, plus the dirty days live
        decided, contacted = fb.counts.decision_us, fb.counts.contact_us
    else:
        decided = micros_histogram(fb.session, S.decided_at, S.submitted_at, c.presented)
        contacted = micros_histogram(fb.session, S.first_contact_at, S.accepted_at, c.accepted)
    return [
        Timeliness("time.hours_to_decision", Phrase("Submission to decision"), decided,
                   (dec("accepted"), dec("rejected"), dec("undecided")),
                   targets.get("hours_to_decision")),
        Timeliness("time.hours_to_first_contact", Phrase("Decision to first contact"),
                   contacted,
                   (dec("accepted"), ACCEPTED), targets.get("hours_to_first_contact")),
    ]

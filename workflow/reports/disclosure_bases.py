"""Disclosures by legal basis: how often a table shared identity on consent, and on which
authority otherwise. Counted per grant (one agency's access to one situation's identity), in
the report's period, suppressed in the same pool as every other figure."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from workflow import legal_basis
from workflow.models import DisclosureGrant, Situation, Table
from workflow.reports.model import TOTAL as TOTAL_LABEL
from workflow.reports.model import Cell, Figure
from workflow.reports.phrase import Phrase
from workflow.reports.suppression import display, share_hidden
from workflow.reports.words import percent

if TYPE_CHECKING:
    from workflow.reports.figures import FigureBuilder

TOTAL = ("basis", "total")


def collect(fb: FigureBuilder) -> list[str]:
    """Put the counts into the builder's suppression problem; the codes in display order."""
    start, end = fb.scope.period.bounds()
    data: dict[str, int] = dict(fb.rows(
        select(DisclosureGrant.legal_basis, func.count())
        .join(Situation, Situation.id == DisclosureGrant.situation_id)
        .where(Situation.table_id.in_(fb.scope.table_ids), DisclosureGrant.granted_at >= start,
               DisclosureGrant.granted_at < end)
        .group_by(DisclosureGrant.legal_basis)))
    codes = list(dict.fromkeys([*_pack_codes(fb), *sorted(data)]))
    for code in codes:
        fb.put(("basis", code), data.get(code, 0))
    fb.put(TOTAL, sum(data.values()))
    fb.problem.relate([("basis", c) for c in codes], TOTAL)
    return codes


def _pack_codes(fb: FigureBuilder) -> list[str]:
    codes: list[str] = []
    for table in fb.session.scalars(select(Table).where(Table.id.in_(fb.scope.table_ids))):
        codes += [b.code for b in legal_basis.bases_of(fb.session, table)]
    return list(dict.fromkeys(codes))


def figure(fb: FigureBuilder, codes: list[str], values: dict[Hashable, int],
           hidden: dict[Hashable, str], threshold: int, lang: str) -> Figure:
    tables = list(fb.session.scalars(select(Table).where(Table.id.in_(fb.scope.table_ids))))
    total = values.get(TOTAL, 0)

    def count(key: tuple[str, str]) -> Cell:
        reason = hidden.get(key)
        return Cell(None if reason else values.get(key, 0),
                    display(values.get(key, 0), reason, threshold))

    def share(key: tuple[str, str]) -> Cell:
        n = values.get(key, 0)
        if not total and not hidden.get(TOTAL):
            return Cell(0, "")  # nothing was disclosed: an empty figure, not a hidden one
        if hidden.get(key) or hidden.get(TOTAL) or share_hidden(n, total, threshold):
            return Cell(None, "")
        return Cell(round(100 * n / total), percent(round(100 * n / total)))

    def label(code: str) -> str:
        for table in tables:
            text = legal_basis.label_of(fb.session, table, code, lang)
            if text != code:
                return text
        return code

    return Figure(
        key="disclosure_bases", title=Phrase("Disclosures by legal basis"),
        row_title=Phrase("Legal basis"),
        columns=[{"code": "count", "label": Phrase("Grants")},
                 {"code": "share", "label": Phrase("Share")}],
        rows=[{"code": c, "label": label(c), "cells": [count(("basis", c)), share(("basis", c))]}
              for c in codes],
        total={"code": "total", "label": TOTAL_LABEL, "cells": [count(TOTAL), Cell(None, "")]},
        note=Phrase("Each grant lets one agency read one situation's limited identity "
                    "(filter 3)."),
    )

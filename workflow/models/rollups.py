"""Daily rollups of the outcome report: grouped counts per table, day and dimension.

Why: the report over a million situations must cost a few full scans, not hundreds. The
rollups hold, per (table, day), exactly the grouped counts the report would compute from the
situations presented or closed that day, so summing them over a period gives identical
figures. `ReportRollupState` says up to when they are current: any situation changed or
created since (found through `ix_situations_updated_at` and the id mark) makes its days
"dirty", and the report computes those days live from the situations instead.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Double, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base
from workflow.models.situation import Situation


class _Counts:
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[str] = mapped_column(String(80), primary_key=True)
    sub: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
    helped: Mapped[int] = mapped_column(BigInteger, default=0)
    contacted: Mapped[int] = mapped_column(BigInteger, default=0)
    on_time: Mapped[int] = mapped_column(BigInteger, default=0)


class _Durations:
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    duration: Mapped[float] = mapped_column(Double, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class ReportRollup(_Counts, Base):
    """Grouped counts of one table's situations of one day (presented, or closed, day).

    `kind` names the cohort and dimension ("p:age_group", "c:gender", "f:factor", ...),
    `value` the dimension's code and `sub` a second key (the decision, the conclusion, or
    the due time of a first contact still awaited). `n` counts situations; `helped`,
    `contacted` and `on_time` are the accepted cohort's indicator measures."""

    __tablename__ = "report_rollups"


class ReportRollupMonth(_Counts, Base):
    """The daily rows summed per calendar month (`day` is the month's first day), so that a
    report over years reads a few rows per month; edge days come from the daily rows."""

    __tablename__ = "report_rollups_monthly"


class ReportDurationRollup(_Durations, Base):
    """How many situations of one table and day took exactly `duration` (hours to first
    contact, days to closure): a histogram exact to the value, so percentiles are exact."""

    __tablename__ = "report_duration_rollups"


class ReportDurationRollupMonth(_Durations, Base):
    """The daily histograms summed per calendar month (`day` is the month's first day)."""

    __tablename__ = "report_duration_rollups_monthly"


class ReportRollupState(Base):
    """One row: the rollups reflect every situation with id <= max_situation_id and
    updated_at < watermark (the refresh's start, less a margin for transactions in flight).

    `version` names the kinds of rows they were built with (workflow.reports.rollup_days
    .ROLLUP_VERSION): rollups of another version are not read, and the next refresh rebuilds
    them all. Rows from before the mark existed are version 1."""

    __tablename__ = "report_rollup_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(server_default=text("1"))
    watermark: Mapped[datetime] = mapped_column()
    max_situation_id: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime] = mapped_column()


#: Finds the situations changed since the last refresh without a scan (reports and refresh).
SITUATIONS_UPDATED_AT = Index("ix_situations_updated_at", Situation.updated_at)

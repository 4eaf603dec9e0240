"""Reference data as loaded by `hubtable init`, versioned, so SQL reports can join on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class TaxonomyVersion(Base):
    __tablename__ = "taxonomy_versions"
    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReferenceCode(Base):
    """Any code of the catalog: risk factors and categories, age groups, reasons, sectors."""

    __tablename__ = "reference_codes"
    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    parent: Mapped[str | None] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(300))
    label_vi: Mapped[str] = mapped_column(String(300))

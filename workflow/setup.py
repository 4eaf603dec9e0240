"""Creating or upgrading the database and loading reference data: what `hubtable init` does.

Idempotent: run it on every start; it changes only what is missing or out of date.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from workflow import rulebook
from workflow.models import ReferenceCode, TaxonomyVersion
from workflow.reference import load_catalog
from workflow.reference.catalog import CODE_LISTS
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "rules" / "packs"


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def migrate(runtime: Runtime) -> None:
    cfg = alembic_config(runtime.database_url)
    with runtime.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def load_reference(runtime: Runtime) -> bool:
    """Load this catalog version's codes once; earlier versions stay for old situations."""
    catalog = load_catalog()
    with runtime.command() as session:
        if session.get(TaxonomyVersion, catalog.version) is not None:
            return False
        session.add(TaxonomyVersion(version=catalog.version))
        rows = [ReferenceCode(version=catalog.version, kind="factors", code=f.code,
                              parent=f.category, label_en=f.en, label_vi=f.vi)
                for f in catalog.factors.values()]
        for kind in ("categories", "protective_factors", *CODE_LISTS):
            rows += [ReferenceCode(version=catalog.version, kind=kind, code=code, parent=None,
                                   label_en=catalog.label(kind, code, "en"),
                                   label_vi=catalog.label(kind, code, "vi"))
                     for code in catalog.codes(kind)]
        session.add_all(rows)
        return True


def install_shipped_packs(runtime: Runtime) -> list[str]:
    installed = []
    with runtime.command() as session:
        for path in sorted(PACKS.glob("*.yaml")):
            row = rulebook.install_pack(session, path.read_text(encoding="utf-8"),
                                        source_name=str(path.name))
            installed.append(f"{row.name} {row.version}")
    return installed


def initialise(runtime: Runtime) -> list[str]:
    """Schema, reference data and shipped rule packs; returns what it did, line by line."""
    migrate(runtime)
    done = ["database schema is up to date"]
    if load_reference(runtime):
        done.append(f"loaded reference data {load_catalog().version}")
    done += [f"rule pack {p}" for p in install_shipped_packs(runtime)]
    return done


def is_initialised(runtime: Runtime) -> bool:
    from sqlalchemy import inspect

    if not inspect(runtime.engine).has_table("taxonomy_versions"):
        return False
    with runtime.read() as session:
        return session.scalar(select(TaxonomyVersion.version).limit(1)) is not None

"""Which rule pack a table uses, read once per database and process, and what its rules read.

An installed pack version never changes (install_pack refuses that), so a parsed pack, its
compiled conditions and the fact names each trigger's rules read are kept per process.
"""

from __future__ import annotations

import weakref
from functools import lru_cache

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rules import model as rm
from rules.loader import RulePackError, load_pack, load_shipped_pack
from workflow.errors import PackRefused
from workflow.models import RulePackRecord, Table, utcnow

SHIPPED = {"ontario-four-filter": "ontario", "vn-gbv-child-protection": "vietnam"}


@lru_cache(maxsize=64)
def _parse(name: str, version: str, source: str) -> rm.RulePack:
    return load_pack(source, source_name=f"{name}@{version}")


_installed: dict[tuple[str, str, str], rm.RulePack] = {}
#: each engine's database, rendered once (rendering or hashing a URL took as long as the
#: rest of the lookup, twice per command)
_database_of: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
_names: dict[int, tuple[rm.RulePack, dict[str, frozenset[str]]]] = {}


def pack_for(session: Session, table: Table) -> rm.RulePack:
    """The pack version the table uses, from the database (as installed) or as shipped."""
    engine = session.get_bind().engine
    database = _database_of.get(engine)
    if database is None:
        database = _database_of[engine] = str(engine.url)
    key = (database, table.rule_pack_name, table.rule_pack_version)
    pack = _installed.get(key)
    if pack is not None:
        return pack
    source = session.scalar(select(RulePackRecord.source).where(
        RulePackRecord.name == table.rule_pack_name,
        RulePackRecord.version == table.rule_pack_version))
    if source is None:
        pack = load_shipped_pack(SHIPPED.get(table.rule_pack_name, table.rule_pack_name))
    else:
        pack = _parse(table.rule_pack_name, table.rule_pack_version, source)
    _installed[key] = pack
    return pack


def installed_packs(session: Session) -> list[rm.RulePack]:
    """Every pack version installed in this database, the latest installed first, then the
    shipped packs (what a code recorded under an earlier version may be looked up in)."""
    found = []
    for name, version, source in session.execute(
            select(RulePackRecord.name, RulePackRecord.version, RulePackRecord.source)
            .order_by(RulePackRecord.id.desc())):
        try:
            found.append(_parse(name, version, source))
        except RulePackError:  # an old version this code no longer reads: nothing to find
            continue
    return found + [load_shipped_pack(short) for short in SHIPPED.values()]


def names_read(pack: rm.RulePack, trigger: str) -> frozenset[str]:
    """The fact names the trigger's rules read: a command builds only those facts."""
    entry = _names.get(id(pack))
    if entry is None or entry[0] is not pack:
        entry = _names[id(pack)] = (pack, {})
    names = entry[1].get(trigger)
    if names is None:
        names = entry[1][trigger] = frozenset(
            n for rule in pack.rules_for(trigger) for n in rule.names)
    return names


def current_version(name: str) -> str:
    """The version of a shipped pack as shipped now (a new table starts on it); "1.0" for a
    pack that is not shipped."""
    short = SHIPPED.get(name)
    return load_shipped_pack(short).version if short else "1.0"


def freeze_shipped(session: Session, name: str, version: str) -> None:
    """A table starts using a shipped pack version: store it now, as shipped, so the table
    keeps exactly this version when a later release ships the next one (pack_for falls back
    to the file, whatever version it holds, only for a version never stored)."""
    short = SHIPPED.get(name)
    if short is None or load_shipped_pack(short).version != version:
        return
    # Two administrators at once (two new tables) both store it: the second quietly keeps
    # the first's row, the same text (ON CONFLICT DO NOTHING, as `hubtable init` would).
    connection = session.connection()
    make = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(make(RulePackRecord).values(
        name=name, version=version, source=load_shipped_pack(short).source_text,
        installed_at=utcnow()).on_conflict_do_nothing(index_elements=["name", "version"]))


def install_pack(session: Session, source: str, *, source_name: str = "pack") -> RulePackRecord:
    """Validate and store a pack version; an installed version is immutable."""
    try:
        pack = load_pack(source, source_name=source_name)
    except RulePackError as error:  # adapters hear of it as a domain error, problems listed
        raise PackRefused([str(p) for p in error.problems]) from None
    row = session.scalar(select(RulePackRecord).where(
        RulePackRecord.name == pack.name, RulePackRecord.version == pack.version))
    if row is None:
        row = RulePackRecord(name=pack.name, version=pack.version, source=source)
        session.add(row)
    elif row.source != source:
        raise ValueError(
            f"pack {pack.name} version {pack.version} is already installed with other "
            "content: give the edited pack a new version"
        )
    return row

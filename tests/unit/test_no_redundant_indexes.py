"""No index repeats the leading columns of another key of its table: every insert keeps each
index up to date, so one that a longer key already serves is paid on every write for nothing
(four were, until 0014_redundant_indexes). A partial index serves only its own rows and is
left out."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, Table, UniqueConstraint

from workflow.models import Base


def _partial(index: Index) -> bool:
    return any(index.dialect_options[d].get("where") is not None
               for d in ("postgresql", "sqlite"))


def _keys(table: Table) -> list[tuple[str, list[str]]]:
    """Every ordered key the database keeps an index for: indexes, unique constraints, the
    primary key."""
    keys = [(i.name or "?", [c.name for c in i.columns]) for i in table.indexes
            if not _partial(i)]
    keys += [(c.name or "?", [col.name for col in c.columns]) for c in table.constraints
             if isinstance(c, UniqueConstraint)]
    keys.append(("primary key", [c.name for c in table.primary_key.columns]))
    return keys


def redundant(table: Table) -> list[str]:
    """The non-unique indexes whose columns lead another key of the same table."""
    found = []
    for index in table.indexes:
        if index.unique or _partial(index):
            continue
        columns = [c.name for c in index.columns]
        for name, other in _keys(table):
            if name != index.name and other[:len(columns)] == columns:
                found.append(f"{table.name}.{index.name} (served by {name})")
                break
    return found


def test_no_index_repeats_the_leading_columns_of_another():
    found = [r for table in Base.metadata.sorted_tables for r in redundant(table)]
    assert found == []


def test_a_repeated_index_is_found():
    table = Table("t_probe", MetaData(), Column("a", Integer, primary_key=True),
                  Column("b", Integer), Column("c", Integer))
    Index("ix_b", table.c.b)
    Index("ix_bc", table.c.b, table.c.c)
    Index("ix_c_some", table.c.c, postgresql_where=table.c.b > 0)
    Index("ix_c", table.c.c)
    assert redundant(table) == ["t_probe.ix_b (served by ix_bc)"]

"""Every table that points at a situation can find its rows by it without reading the whole
table: its foreign key leads an index (a situation's page, a command's one read and a purge
all ask by situation). The exceptions say why."""

from __future__ import annotations

from sqlalchemy import Table, UniqueConstraint

from workflow.models import Base

#: foreign keys to situations that no query searches by, with the reason
NOT_SEARCHED = {
    ("outbox_events", "situation_id"): "written by every command; events are claimed by id",
    ("situations", "previous_situation_id"): "read from the situation, never searched by",
    ("round_answers", "situation_id"): "read by round: its unique key leads with the round",
    ("situation_form_tokens", "situation_id"): "found by its token; written once at the draft",
}


def _leads_an_index(table: Table, column: str) -> bool:
    keys = [*table.indexes, table.primary_key,
            *(c for c in table.constraints if isinstance(c, UniqueConstraint))]
    return any(list(key.columns)[0].name == column for key in keys)


def test_every_foreign_key_to_situations_leads_an_index():
    missing = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "situations" or fk.column.name != "id":
                continue
            key = (table.name, fk.parent.name)
            if key not in NOT_SEARCHED and not _leads_an_index(table, fk.parent.name):
                missing.append(".".join(key))
    assert missing == []

"""The administrator's settings beyond the directory: schedules, active rule packs, a table's
privacy settings (retention period, small-cell threshold), languages.

Why a module of its own: workflow/directory.py creates tables, agencies and users; changing a
table's schedule, its active pack version or its privacy settings, and a user's own language
choice, are further commands the web adapter needs. Each checks the actor's permission here,
in the core.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from rules.loader import load_shipped_pack, shipped_pack_names
from workflow import access, audit, directory, rulebook, stages
from workflow.errors import NotFound, ValidationError
from workflow.models import (
    IdentityRecord,
    LinkageToken,
    RulePackRecord,
    Situation,
    Table,
    User,
    utcnow,
)
from workflow.outbox import emit

LANGUAGES = ("en", "vi")


def set_language(session: Session, user: User, language: str) -> None:
    """A user picks the language of their pages and notifications."""
    if language not in LANGUAGES:
        raise ValidationError("language is en or vi", field="language")
    user.language = language


def _table(session: Session, table_id: int) -> Table:
    table = session.get(Table, table_id)
    if table is None:
        raise NotFound(f"no table {table_id}")
    return table


def update_schedule(session: Session, actor: User, table_id: int, *, weekday: int,
                    time: str, place: str, timezone: str | None = None) -> Table:
    """When and where the table sits each week (the next meeting is made from this)."""
    access.require_permission(actor, "directory.manage")
    table = _table(session, table_id)
    if not 0 <= weekday <= 6:
        raise ValidationError("choose a weekday", field="meeting_weekday")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", time):
        raise ValidationError("meeting time is HH:MM (24-hour clock)", field="meeting_time")
    if len(place) > 200:
        raise ValidationError("the place is limited to 200 characters", field="meeting_place")
    if timezone is not None:  # a name too long for a file is refused too, never a crash
        table.timezone = directory.check_timezone(timezone)
    table.meeting_weekday, table.meeting_time, table.meeting_place = weekday, time, place.strip()
    audit.record(session, "table.schedule", actor=actor,
                 detail={"table_id": table.id, "weekday": weekday, "time": time,
                         "place": table.meeting_place, "timezone": table.timezone})
    return table


def available_packs(session: Session) -> list[tuple[str, str]]:
    """(name, version) of every pack a table may use: installed versions and shipped packs."""
    found = {(r.name, r.version) for r in session.scalars(select(RulePackRecord))}
    for short in shipped_pack_names():
        pack = load_shipped_pack(short)
        found.add((pack.name, pack.version))
    return sorted(found)


def select_rule_pack(session: Session, actor: User, table_id: int, name: str,
                     version: str) -> Table:
    """Make an installed (or shipped) pack version the table's active one."""
    access.require_permission(actor, "rules.manage")
    table = _table(session, table_id)
    if (name, version) not in available_packs(session):
        raise ValidationError("no installed rule pack %(name)s version %(version)s",
                              field="rule_pack", name=name, version=version)
    rulebook.freeze_shipped(session, name, version)
    before = f"{table.rule_pack_name} {table.rule_pack_version}"
    table.rule_pack_name, table.rule_pack_version = name, version
    audit.record(session, "table.rule_pack", actor=actor,
                 detail={"table_id": table.id, "pack": name, "version": version,
                         "before": before})
    return table


def install_rule_pack(session: Session, actor: User, source: str,
                      source_name: str = "upload") -> RulePackRecord:
    """Validate and store a pack (as `hubtable rules check` does); PackRefused lists problems."""
    access.require_permission(actor, "rules.manage")
    try:
        row = rulebook.install_pack(session, source, source_name=source_name)
    except ValueError as exc:  # the same name and version with other content
        raise ValidationError("This pack name and version are already installed with other "
                              "content: give the changed pack a new version.",
                              field="pack", detail=str(exc)) from None
    session.flush()
    audit.record(session, "rules.install", actor=actor,
                 detail={"pack": row.name, "version": row.version})
    return row


def identities_due_sooner(session: Session, actor: User, table: Table, retention_days: int,
                          *, now: datetime | None = None) -> int:
    """How many ended situations of the table still hold an identity (or its linkage tokens)
    that the next purge would destroy with `retention_days` and would not with the period the
    table has now: a count, never which ones (an administrator sees no situation). Those
    already due stay due either way; a longer period makes none due."""
    access.require_permission(actor, "directory.manage")
    if retention_days >= table.retention_days:
        return 0
    now = now or utcnow()
    ended = func.coalesce(Situation.closed_at, Situation.decided_at)
    held = exists().where(IdentityRecord.situation_id == Situation.id) | exists().where(
        LinkageToken.situation_id == Situation.id)
    return session.scalar(select(func.count(Situation.id)).where(
        Situation.table_id == table.id, Situation.stage.in_(stages.END_STAGES), held,
        ended < now - timedelta(days=retention_days),
        ended >= now - timedelta(days=table.retention_days))) or 0


def update_privacy(session: Session, actor: User, table_id: int, *, retention_days: int,
                   small_cell_threshold: int, confirmed_due: int = 0,
                   now: datetime | None = None) -> Table:
    """Change how long the table keeps identity and which counts its reports hide.

    A shorter period destroys identities at the next purge (workflow/purge.py reads the
    table's period), so it is refused unless the actor confirmed at least as many as it makes
    due (`confirmed_due`, the count they were shown). A threshold applies to every report
    built from now on, stored monthly reports included: one built below it is rebuilt under
    it before anyone sees it (workflow/reports/archive.py); a lowered one leaves them as
    they are, hiding more, never less."""
    access.require_permission(actor, "directory.manage")
    table = _table(session, table_id)
    directory.check_retention_days(retention_days)
    if small_cell_threshold != table.small_cell_threshold:  # an older table below the floor
        directory.check_small_cell_threshold(small_cell_threshold)  # may keep what it has
    due = identities_due_sooner(session, actor, table, retention_days, now=now)
    if due > confirmed_due:
        raise ValidationError("a shorter retention period makes identities due for destruction "
                              "at the next purge (closed situations: %(due)s): tick the box "
                              "to confirm", field="confirm_due", due=due)
    before = (table.retention_days, table.small_cell_threshold)
    if before == (retention_days, small_cell_threshold):
        return table
    table.retention_days, table.small_cell_threshold = retention_days, small_cell_threshold
    audit.record(session, stages.STEPS["update_table_privacy"].audit, actor=actor,
                 detail={"table_id": table.id, "retention_days": retention_days,
                         "retention_days_before": before[0],
                         "small_cell_threshold": small_cell_threshold,
                         "small_cell_threshold_before": before[1], "identities_due": due})
    emit(session, "directory.changed", table_id=table.id, to_chairs=True,
         extra={"change": "table.privacy", "retention_days": retention_days,
                "small_cell_threshold": small_cell_threshold})
    return table

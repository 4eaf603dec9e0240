"""The one gatekeeper: every command passes here, in one order, before it changes anything.

    access (who may, from the declarations in workflow.stages) -> stage -> version
        -> rule-pack guards -> the command applies its change -> transition + audit -> rules after

`read` starts a command on the lean path (its situation and what these steps ask in one
statement, workflow.situation_context; its changes in the one write at `run.save()`); `begin`
starts one on an ORM object (the commands off the benchmark's path).

Adapters never decide who may do what: they ask `can(...)` or `available(...)` and show what
the answer allows. The same answers drive the commands, so a page can never offer what the
core would refuse, nor the core allow what a page hides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from workflow import access, audit, rulebook, situation_context, stages
from workflow.errors import NotFound, PermissionDenied
from workflow.models import Meeting, Situation, Task, User, utcnow
from workflow.situation_context import SituationContext
from workflow.transitions import Moved, check_version, move

#: Why a person may not give a command, by who may (workflow.stages): a sentence each, so that
#: adapters can translate it whole.
_REFUSAL = {
    (stages.ORIGINATOR,): "Only the agency that presented this situation may do this.",
    (stages.ORIGINATOR, stages.CHAIR): "Only the agency that presented this situation or the "
                                       "table's chair may do this.",
    (stages.CHAIR,): "Only the table's chair may do this.",
    (stages.CHAIR, stages.GRANTED): "Only the table's chair or a confirmed user of an agency "
                                    "granted disclosure may do this.",
    (stages.GRANTED, stages.CHAIR): "Only a confirmed user of an agency granted disclosure or "
                                    "the table's chair may do this.",
    (stages.GRANTED,): "Only a confirmed user of an agency granted disclosure may do this.",
    (stages.INTERVENING,): "Only the lead or an assisting agency may do this.",
    (stages.INTERVENING, stages.CHAIR): "Only the lead agency, an assisting agency or the "
                                        "table's chair may do this.",
    (stages.TASK_AGENCY, stages.CHAIR): "Only the agency that owns the task or the table's "
                                        "chair may do this.",
    (stages.MEMBER,): "Only a member agency of this table may do this.",
    (stages.ADMIN,): "Only an administrator may do this.",
    (stages.ADMIN, stages.MEMBER): "Only an administrator or a member agency of this table "
                                   "may do this.",
}
_REFUSED = "You may not do this with this situation."


def relations_of(session: Session, actor: User, situation: Situation,
                 task: Task | None = None) -> set[str]:
    """Every relation the actor has to this situation (and task): the roles' scope, applied."""
    found: set[str] = set()
    if not actor.active:
        return found
    agency = actor.agency_id
    if access.chairs_table(session, actor, situation.table_id):
        found.add(stages.CHAIR)
    if agency is not None and access.has_permission(actor, "situation.draft"):
        if agency == situation.originating_agency_id:
            found.add(stages.ORIGINATOR)
        if access.agency_sits_at(session, agency, situation.table_id):
            found.add(stages.MEMBER)
    if access.can_record_intervention(actor, situation):
        found.add(stages.INTERVENING)
    if access.can_read_identity(actor, situation):
        found.add(stages.GRANTED)
    if (task is not None and agency is not None and task.agency_id == agency
            and access.has_permission(actor, "intervention.record")):
        found.add(stages.TASK_AGENCY)
    if access.has_permission(actor, "directory.manage"):
        found.add(stages.ADMIN)
    return found


def may(session: Session, actor: User, command: str, situation: Situation,
        task: Task | None = None) -> bool:
    """Whether the actor's relations to the situation let them give the command (any stage)."""
    step = stages.step(command)
    return bool(relations_of(session, actor, situation, task) & set(step.who))


def can(session: Session, actor: User, command: str, situation: Situation,
        task: Task | None = None) -> bool:
    """`can_<verb>(actor, situation)`: may this actor give this command to it, now?"""
    return (stages.allows(command, situation.stage)
            and access.can_view_situation(session, actor, situation)
            and may(session, actor, command, situation, task))


def available(session: Session, actor: User, situation: Situation) -> frozenset[str]:
    """Every situation command this actor may give now: what a page offers, nothing more."""
    if not access.can_view_situation(session, actor, situation):
        return frozenset()
    relations = relations_of(session, actor, situation)
    if situation.tasks and stages.allows("update_task", situation.stage):
        for task in situation.tasks:
            relations |= relations_of(session, actor, situation, task) & {stages.TASK_AGENCY}
    return frozenset(
        c for c in stages.SITUATION_COMMANDS
        if stages.allows(c, situation.stage) and relations & set(stages.STEPS[c].who)
    )


def require(session: Session, actor: User, command: str, situation: Situation,
            task: Task | None = None) -> stages.Step:
    """Access first, then the stage: refuse with the reason a person can act on."""
    step = stages.step(command)
    if not may(session, actor, command, situation, task):
        raise PermissionDenied(_REFUSAL.get(step.who, _REFUSED))
    stages.check(command, situation.stage)
    return step


@dataclass
class Run:
    """One command in flight: the situation it acts on, and what it has recorded so far."""

    session: Session
    actor: User
    command: str
    situation: Situation
    now: datetime
    meeting: Meeting | None = None
    task: Task | None = None
    transitions: list[Moved] = field(default_factory=list)
    #: the lean path's one-read context (`read`), whose changes `save` writes
    context: SituationContext | None = None

    @property
    def step(self) -> stages.Step:
        return stages.STEPS[self.command]

    def guard(self, trigger: str | None = None) -> None:
        """The table's rule pack may refuse the command before anything changes."""
        trigger = trigger or self.step.guard
        if trigger:
            rulebook.check_guards(self.session, self.situation, trigger, now=self.now,
                                  meeting=self.meeting)

    def move(self, command: str | None = None, *, reason: str | None = None,
             meeting_id: int | None = None) -> Moved:
        """The stage change with its transition record and audit entry."""
        mid = meeting_id if meeting_id is not None else (self.meeting.id if self.meeting
                                                         else None)
        taken = self.context.transition_ids if self.context is not None else []
        transition = move(self.session, self.situation, command or self.command,
                          actor=self.actor, now=self.now, meeting_id=mid, reason=reason,
                          transition_id=taken.pop(0) if taken else None)
        self.transitions.append(transition)
        return transition

    def record(self, detail: dict[str, Any] | None = None) -> None:
        """An audit entry for a command that keeps the stage (a task, a flag, a contact)."""
        audit.record(self.session, self.step.audit, actor=self.actor,
                     situation_id=self.situation.id, detail=detail, now=self.now)

    def save(self) -> Situation:
        """The lean path's end: the situation's changes in the one write (version-checked)."""
        assert self.context is not None, "save() ends a command begun with read()"
        return situation_context.save(self.session, self.context)

    def after(self) -> None:
        """The pack's other actions for the command and the stage it entered."""
        rulebook.after(self.session, self.situation, self.command, actor=self.actor,
                       now=self.now, meeting=self.meeting,
                       transition=self.transitions[0] if self.transitions else None)


def begin(session: Session, actor: User, command: str, situation: Situation | int, *,
          now: datetime | None = None, expected_version: int | None = None,
          meeting: Meeting | None = None, task: Task | None = None,
          guard: bool = True) -> Run:
    """Start a command: the situation must be visible, the actor allowed, the stage right,
    the version the one the actor saw, and the rule pack's guards content."""
    if isinstance(situation, int):
        situation = access.load_visible_situation(session, actor, situation)
    elif not access.can_view_situation(session, actor, situation):
        raise NotFound(f"no situation {situation.id} that you may see")
    require(session, actor, command, situation, task)
    check_version(situation, expected_version)
    run = Run(session, actor, command, situation, now or utcnow(), meeting, task)
    if guard:
        run.guard()
    return run


def read(session: Session, actor: User, command: str, situation_id: int, *,
         now: datetime | None = None, expected_version: int | None = None,
         meeting_id: int | None = None, upcoming_since: datetime | None = None,
         guard: bool = True) -> Run:
    """`begin`, on the lean path: the situation, its table, agencies, meeting and audit head
    come in one read (workflow.situation_context), and the command ends with `run.save()`."""
    context = situation_context.read(session, actor, situation_id, meeting_id=meeting_id,
                                     upcoming_since=upcoming_since)
    if context is None:
        raise NotFound(f"no situation {situation_id} that you may see")
    # It answers whatever the gatekeeper, access and the rules read of a Situation.
    run = begin(session, actor, command, cast(Situation, context), now=now,
                expected_version=expected_version, guard=False)
    run.context = context
    run.meeting = cast(Meeting, context.meeting)
    if guard:
        run.guard()
    return run


# -- the matrix an operator reads -------------------------------------------------------------
def matrix() -> list[tuple[str, str, str, str, str]]:
    """(command, filter, who, stages, guard) for every declared command, in declaration order."""
    rows = []
    for step in stages.STEPS.values():
        rows.append((
            step.command,
            str(step.filter) if step.filter else "-",
            ", ".join(step.who),
            ", ".join(step.sources) if step.sources else f"({step.about})",
            step.guard or "-",
        ))
    return rows

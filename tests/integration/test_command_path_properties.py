"""Any sequence of commands leaves exactly what the declarations and the rules say.

The commands take the lean path (workflow.situation_context): one read of the situation and
what the gatekeeper and the rules ask, then the transaction's one write (transitions, audit
entries, chain heads, outbox events, rule firings, deadlines, agenda entries, and last the
situation's update with its version check), not the ORM's unit of work. Whatever order a person
gives the commands in, on SQLite and PostgreSQL:

- a command the stage graph refuses changes nothing (no version step, no row anywhere);
- a command that runs moves the version exactly once, records the transitions that
  workflow.stages declares (submit also schedules; a decision on the agenda also presents),
  an audit entry for each, and its own outbox event carrying the stage it reached;
- every rule firing belongs to one of the command's own transitions (exactly once: the unique
  key would refuse a second);
- the audit chains verify after every step, and a closed situation has no running clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support.factories import filter1, open_meeting

from workflow import audit, interventions, situations, stages
from workflow.errors import DomainError
from workflow.models import (
    AuditEntry,
    Deadline,
    OutboxEvent,
    RuleFiring,
    Situation,
    Transition,
    User,
)

WITHDRAWAL = "originator_resolved"
COMMANDS = ("submit", "accept", "reject", "disclose", "plan", "report_back", "close",
            "withdraw")
#: The event each command's own outbox row has (report_back tells no one by itself).
OWN_EVENT = {"submit": "situation.submitted", "accept": "situation.accepted",
             "reject": "situation.rejected", "disclose": "situation.disclosed",
             "plan": "situation.lead_assigned", "close": "situation.closed",
             "withdraw": "situation.withdrawn"}


@dataclass
class Model:
    """What the declarations say a situation is: its stage and whether CMHA was granted."""

    stage: str = stages.DRAFT
    granted: bool = False
    moves: list[tuple[str, str, str]] = field(default_factory=list)

    def expected(self, command: str) -> list[tuple[str, str, str]] | None:
        """The transitions the command must record, or None if it must be refused."""
        if not stages.allows(command, self.stage):
            return None
        if command == "plan" and not self.granted:
            return None  # the lead must first be granted disclosure
        steps: list[tuple[str, str, str]] = []
        stage = self.stage
        if command in ("accept", "reject") and stages.allows("present", stage):
            steps.append(("present", stage, stages.target_of("present", stage)))
            stage = steps[-1][2]
        steps.append((command, stage, stages.target_of(command, stage)))
        if command == "submit":
            steps.append(("schedule", steps[-1][2], stages.target_of("schedule", steps[-1][2])))
        return steps


def _give(world, command: str, sid: int, meeting_id: int) -> None:
    rt, a = world.runtime, world.agencies
    with rt.command() as s:
        chair = s.get(User, world.users["chair"])
        school = s.get(User, world.users["school"])
        if command == "submit":
            situations.submit(s, school, sid)
        elif command == "accept":
            situations.accept(s, chair, sid, meeting_id)
        elif command == "reject":
            situations.reject(s, chair, sid, meeting_id, "not_aer")
        elif command == "disclose":
            interventions.disclose(s, chair, sid, [a["cmha"]], basis="phipa_40_1")
        elif command == "plan":
            interventions.plan(s, chair, sid, lead_agency_id=a["cmha"])
        elif command == "report_back":
            interventions.report_back(s, s.get(User, world.users["cmha"]), sid,
                                      progress_note="ok", first_contact_made=True,
                                      still_aer=True)
        elif command == "close":
            interventions.close(s, chair, sid, conclusion_reason="lowered_connected")
        else:
            situations.withdraw(s, school, sid, WITHDRAWAL, rt.vault)


def _snapshot(world, sid: int) -> dict:
    with world.runtime.read() as s:
        return {
            "version": s.scalar(select(Situation.version).where(Situation.id == sid)),
            "stage": s.scalar(select(Situation.stage).where(Situation.id == sid)),
            "transitions": s.execute(select(Transition.id, Transition.command,
                                            Transition.from_stage, Transition.to_stage)
                                     .where(Transition.situation_id == sid)
                                     .order_by(Transition.id)).all(),
            "audit": s.execute(select(AuditEntry.seq, AuditEntry.action)
                               .where(AuditEntry.chain == audit.chain_for(sid))
                               .order_by(AuditEntry.seq)).all(),
            "events": s.execute(select(OutboxEvent.event_type, OutboxEvent.payload)
                                .where(OutboxEvent.situation_id == sid)
                                .order_by(OutboxEvent.id)).all(),
            "firings": s.execute(select(RuleFiring.rule_id, RuleFiring.occurrence)
                                 .where(RuleFiring.situation_id == sid)).all(),
            "open_clocks": s.scalar(select(func.count()).select_from(Deadline).where(
                Deadline.situation_id == sid, Deadline.met_at.is_(None))),
        }


def _check_step(before: dict, after: dict, command: str,
                steps: list[tuple[str, str, str]], *, tells: bool) -> None:
    assert after["version"] == before["version"] + 1, "one version step per command"
    new_moves = after["transitions"][len(before["transitions"]):]
    assert [(t.command, t.from_stage, t.to_stage) for t in new_moves] == steps
    assert after["stage"] == steps[-1][2]
    new_audit = after["audit"][len(before["audit"]):]
    assert [e.seq for e in after["audit"]] == list(range(1, len(after["audit"]) + 1))
    actions = [e.action for e in new_audit]
    for move_command, _, _ in steps:
        assert f"situation.{move_command}" in actions
    new_events = after["events"][len(before["events"]):]
    if tells:
        own = [e for e in new_events if e.event_type == OWN_EVENT[command]]
        assert len(own) == 1 and own[0].payload["stage"] == after["stage"]
    occurrences = {f"t{t.id}" for t in new_moves}
    new_firings = set(after["firings"]) - set(before["firings"])
    assert len(after["firings"]) == len(set(after["firings"])), "a rule fired twice"
    assert all(f.occurrence in occurrences for f in new_firings)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(script=st.lists(st.tuples(st.integers(0, 1), st.sampled_from(COMMANDS)),
                       min_size=1, max_size=12))
def test_any_sequence_of_commands_leaves_what_the_rules_say(world, script):
    meeting_id = _meeting(world)
    sids, models = [], []
    for _ in range(2):
        with world.runtime.command() as s:
            school = s.get(User, world.users["school"])
            sids.append(situations.draft(s, school, world.table_id, filter1()).id)
        models.append(Model())
    for index, command in script:
        sid, model = sids[index], models[index]
        before = _snapshot(world, sid)
        steps = model.expected(command)
        try:
            _give(world, command, sid, meeting_id)
        except DomainError:
            assert steps is None, f"{command} from {model.stage} was refused"
            assert _snapshot(world, sid) == before, "a refused command left a trace"
            continue
        assert steps is not None, f"{command} from {model.stage} should have been refused"
        after = _snapshot(world, sid)
        # a second disclosure to the same agency grants nothing new and tells no one
        tells = command in OWN_EVENT and not (command == "disclose" and model.granted)
        _check_step(before, after, command, steps, tells=tells)
        model.stage = after["stage"]
        model.granted = model.granted or command == "disclose"
        if model.stage == "closed":
            assert after["open_clocks"] == 0, "a closed situation keeps no running clock"
    with world.runtime.read() as s:
        checked, problems = audit.verify(s)
    assert checked > 0 and problems == []


def _meeting(world) -> int:
    """One open meeting with attendance per world (hypothesis reuses the fixture's world)."""
    if getattr(world, "property_meeting", None) is None:
        world.property_meeting = open_meeting(world)
    return world.property_meeting

"""One gatekeeper: every command x every actor x every stage agrees with the declarations.

The expected answer comes from workflow.stages (who may give a command, from which stages)
and from how this test built each actor's relation to each situation; the actual answer comes
from running the real command, in a transaction that is rolled back.
"""

from __future__ import annotations

import pytest
from support.factories import build_world, filter1, open_meeting, submitted

from workflow import interventions, replan, situations, stages
from workflow.errors import DomainError, IllegalTransition, NotFound, PermissionDenied
from workflow.identity import Identity, Person
from workflow.models import Flag, Situation, Task, User, utcnow
from workflow.reference import load_catalog

ACTORS = ("school", "cmha", "housing", "hospital", "outsider", "chair", "manager", "admin")
#: Commands given through a function of their own (schedule is the second half of submit,
#: draft acts on a table and is walked in test_bad_input / the web walk).
WALKED = tuple(c for c in stages.SITUATION_COMMANDS if c not in ("schedule", "draft"))
GRANTED_IN = {"disclosed", "intervention", "closed"}
INTERVENING_IN = {"intervention", "closed"}


def relations(actor: str, stage: str) -> set[str]:
    """Each actor's relation to the situation in `stage`, as this test built it."""
    found: set[str] = set()
    if actor == "school":
        found |= {stages.ORIGINATOR, stages.MEMBER}
    if actor in ("cmha", "housing", "hospital"):
        found.add(stages.MEMBER)
    if actor == "chair":
        found |= {stages.CHAIR, stages.MEMBER}
    if actor == "admin":
        found.add(stages.ADMIN)
    if actor in ("cmha", "housing", "school") and stage in GRANTED_IN:
        found.add(stages.GRANTED)
    if actor in ("cmha", "housing") and stage in INTERVENING_IN:
        found.add(stages.INTERVENING)
    if actor == "housing":
        found.add(stages.TASK_AGENCY)  # every situation here has a task of housing's
    if stages.is_private(stage) and stages.ORIGINATOR not in found:
        return set()  # a draft is its agency's own
    return found


def expected(command: str, actor: str, stage: str) -> bool:
    step = stages.STEPS[command]
    return bool(relations(actor, stage) & set(step.who)) and stage in step.sources


def _code(kind: str) -> str:
    return sorted(load_catalog().codes(kind))[0]


@pytest.fixture
def walk(runtime):
    """A situation in every stage, each with a task (of housing's) and a flag."""
    world = build_world(runtime)
    a = world.agencies
    made: dict[str, int] = {"on_agenda": submitted(world)}
    for stage in ("submitted", "presented", "accepted", "rejected", "disclosed",
                  "intervention", "closed", "withdrawn"):
        made[stage] = submitted(world)
    mid = open_meeting(world)
    with runtime.command() as s:
        school = world.user(s, "school")
        made["draft"] = situations.draft(s, school, world.table_id, filter1()).id
        chair = world.user(s, "chair")
        s.get(Situation, made["submitted"]).stage = "submitted"
        situations.present(s, chair, made["presented"], mid)
        situations.reject(s, chair, made["rejected"], mid, "not_aer")
        for stage in ("accepted", "disclosed", "intervention", "closed"):
            situations.accept(s, chair, made[stage], mid)
        for stage in ("disclosed", "intervention", "closed"):
            interventions.disclose(s, chair, made[stage], [a["cmha"], a["housing"], a["school"]],
                                   basis="phipa_40_1",
                                   meeting_id=mid)
        for stage in ("intervention", "closed"):
            interventions.plan(s, chair, made[stage], lead_agency_id=a["cmha"],
                               assisting_agency_ids=[a["housing"]], meeting_id=mid)
        interventions.close(s, chair, made["closed"], conclusion_reason=_code(
            "conclusion_reasons"), meeting_id=mid)
        situations.withdraw(s, school, made["withdrawn"], _code("withdrawal_reasons"),
                            runtime.vault)
        tasks, flags = {}, {}
        for stage, sid in made.items():
            task = Task(situation_id=sid, agency_id=a["housing"], description="A task",
                        created_at=utcnow())
            flag = Flag(situation_id=sid, code="test_flag", label_en="Test flag",
                        raised_at=utcnow())
            s.add_all([task, flag])
            s.flush()
            tasks[stage], flags[stage] = task.id, flag.id
    return world, made, tasks, flags, mid


def _give(command, s, actor, sid, task_id, flag_id, mid, world):  # noqa: PLR0911
    a = world.agencies
    vault = world.runtime.vault
    match command:
        case "update_draft":
            return situations.update_draft(s, actor, sid, filter1(summary="edited"))
        case "submit":
            return situations.submit(s, actor, sid)
        case "present":
            return situations.present(s, actor, sid, mid)
        case "accept":
            return situations.accept(s, actor, sid, mid)
        case "reject":
            return situations.reject(s, actor, sid, mid, "not_aer")
        case "disclose":
            return interventions.disclose(s, actor, sid, [a["hospital"]],
                                          basis="phipa_40_1", meeting_id=mid)
        case "record_identity":
            return vault.record(s, actor, s.get(Situation, sid),
                                Identity([Person(name="Walk Person", birth_date="2001-02-03")]))
        case "read_identity":
            return vault.open(s, actor, sid)
        case "plan":
            return interventions.plan(s, actor, sid, lead_agency_id=a["cmha"], meeting_id=mid)
        case "replan":  # housing (granted, assisting) takes the lead over from CMHA
            return replan.replan(s, actor, sid, lead_agency_id=a["housing"], meeting_id=mid)
        case "record_first_contact":
            return interventions.record_first_contact(s, actor, sid)
        case "update_task":
            return interventions.update_task(s, actor, task_id, status="done")
        case "report_back":
            return interventions.report_back(s, actor, sid, progress_note="progress",
                                             first_contact_made=True, still_aer=False)
        case "close":
            return interventions.close(s, actor, sid,
                                       conclusion_reason=_code("conclusion_reasons"))
        case "clear_flag":
            return interventions.clear_flag(s, actor, flag_id)
        case "withdraw":
            return situations.withdraw(s, actor, sid, _code("withdrawal_reasons"), vault)
        case "re_present":
            return situations.re_present(s, actor, sid)
    raise AssertionError(command)


def test_every_command_every_actor_every_stage_agrees_with_the_declarations(walk, runtime):
    world, made, tasks, flags, mid = walk
    disagreements = []
    walked = 0
    for stage in stages.ALL_STAGES:
        for actor_key in ACTORS:
            for command in WALKED:
                s = runtime.sessions()
                try:
                    actor = s.get(User, world.users[actor_key])
                    try:
                        _give(command, s, actor, made[stage], tasks[stage], flags[stage], mid,
                              world)
                        allowed, why = True, "done"
                    except (PermissionDenied, NotFound, IllegalTransition) as exc:
                        allowed, why = False, type(exc).__name__
                    except DomainError as exc:  # passed the gate, refused on its input/rules
                        allowed, why = True, type(exc).__name__
                finally:
                    s.rollback()
                    s.close()
                walked += 1
                if allowed != expected(command, actor_key, stage):
                    disagreements.append((command, actor_key, stage, why))
    assert walked == len(stages.ALL_STAGES) * len(ACTORS) * len(WALKED)
    assert disagreements == []


def test_a_stage_refusal_says_what_to_do_and_comes_after_access(walk, runtime):
    world, made, *_ = walk
    with runtime.command() as s:
        chair = world.user(s, "chair")
        with pytest.raises(IllegalTransition, match="re-present it"):
            interventions.report_back(s, chair, made["closed"], progress_note="x",
                                      first_contact_made=True, still_aer=False)
        school = world.user(s, "school")
        with pytest.raises(PermissionDenied, match="chair"):
            interventions.close(s, school, made["closed"], conclusion_reason="x")


def test_finished_is_finished_and_drafts_are_their_agencys_own(walk, runtime):
    world, made, tasks, flags, _mid = walk
    with runtime.command() as s:
        housing, chair = world.user(s, "housing"), world.user(s, "chair")
        for stage in stages.END_STAGES:
            with pytest.raises(DomainError):
                interventions.update_task(s, housing, tasks[stage], status="open")
            with pytest.raises(DomainError):
                interventions.clear_flag(s, chair, flags[stage])
        with pytest.raises(NotFound):  # another agency's draft: not even visible to a chair
            situations.update_draft(s, chair, made["draft"], filter1())
    from workflow import queries

    with runtime.read() as s:
        chair = world.user(s, "chair")
        with pytest.raises(NotFound):
            queries.situation_view(s, chair, made["draft"])


def test_the_matrix_printed_for_operators_is_the_declarations():
    from workflow.gatekeeper import matrix

    rows = {r[0]: r for r in matrix()}
    assert set(rows) == set(stages.STEPS)
    for command, step in stages.STEPS.items():
        assert rows[command][2] == ", ".join(step.who)
        assert rows[command][4] == (step.guard or "-")

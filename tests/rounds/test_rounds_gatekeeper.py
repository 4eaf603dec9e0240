"""The round and follow-up commands (declared about="round" / "follow_up" in workflow.stages)
x every actor x every stage agree with their declarations, as the situation commands do in
tests/integration/test_gatekeeper.py (whose world and expectations this walk reuses)."""

from __future__ import annotations

from datetime import timedelta

from integration.test_gatekeeper import ACTORS, expected, walk  # noqa: F401  (fixture)

from workflow import follow_up, rounds, stages
from workflow.errors import DomainError, IllegalTransition, NotFound, PermissionDenied
from workflow.models import DecisionRound, RoundItem, User, utcnow

COMMANDS = ("open_round", "answer_round", "record_follow_up")


def _give(command, s, actor, sid, world):
    now = utcnow()
    if command == "open_round":
        rounds.open_round(s, actor, [sid], now=now)
    elif command == "answer_round":
        chair = s.get(User, world.users["chair"])
        round_ = DecisionRound(table_id=world.table_id, opened_by_id=chair.id, opened_at=now,
                               closes_at=now + timedelta(hours=24), status="open")
        round_.items = [RoundItem(situation_id=sid)]
        s.add(round_)
        s.flush()
        rounds.answer(s, actor, round_.id, sid, aer=True, now=now)
    else:
        follow_up.record(s, actor, sid, "yes", now=now)


def test_round_and_follow_up_commands_agree_with_the_declarations(walk, runtime):  # noqa: F811
    world, made, *_ = walk
    disagreements, walked = [], 0
    for stage in stages.ALL_STAGES:
        for actor_key in ACTORS:
            for command in COMMANDS:
                s = runtime.sessions()
                try:
                    actor = s.get(User, world.users[actor_key])
                    try:
                        _give(command, s, actor, made[stage], world)
                        allowed, why = True, "done"
                    except (PermissionDenied, NotFound, IllegalTransition) as exc:
                        allowed, why = False, type(exc).__name__
                    except DomainError as exc:  # passed the gate, refused on its input
                        allowed, why = True, type(exc).__name__
                finally:
                    s.rollback()
                    s.close()
                walked += 1
                if allowed != expected(command, actor_key, stage):
                    disagreements.append((command, actor_key, stage, why))
    assert walked == len(stages.ALL_STAGES) * len(ACTORS) * len(COMMANDS)
    assert disagreements == []

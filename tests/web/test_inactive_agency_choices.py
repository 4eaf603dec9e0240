"""An agency an administrator deactivated is never named for disclosure or a plan: its users
cannot sign in and it is told nothing, so identity granted to it or work given to it would go
nowhere. The meeting page stops offering it; the core refuses it by name. Both databases."""

from __future__ import annotations

import pytest
from support.factories import open_meeting, submitted

from web.conftest import signed_in
from workflow import directory_admin, interventions, situations
from workflow.errors import ValidationError


def _deactivate(world, slug: str) -> None:
    with world.runtime.command() as s:
        directory_admin.update_agency(s, world.user(s, "admin"), world.agencies[slug],
                                      active=False, open_work_understood=True)


def _disclosed(world) -> tuple[int, int]:
    sid, mid = submitted(world), open_meeting(world)
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid)
        interventions.disclose(s, chair, sid, [world.agencies["cmha"]], basis="phipa_40_1",
                               meeting_id=mid)
    return sid, mid


def test_the_meeting_page_offers_no_inactive_agency(app, world):
    sid, mid = _disclosed(world)
    housing = world.agencies["housing"]
    page = signed_in(app, "chair").get(f"/meetings/{mid}/situations/{sid}").get_data(
        as_text=True)
    assert f'name="agency_ids" value="{housing}"' in page  # offered while active
    assert f'name="assisting_agency_ids" value="{housing}"' in page
    _deactivate(world, "housing")
    page = signed_in(app, "chair").get(f"/meetings/{mid}/situations/{sid}").get_data(
        as_text=True)
    assert f'name="agency_ids" value="{housing}"' not in page
    assert f'name="assisting_agency_ids" value="{housing}"' not in page
    assert f'<option value="{housing}"' not in page


def test_the_core_refuses_to_disclose_to_an_inactive_agency(world):
    sid, mid = _disclosed(world)
    _deactivate(world, "housing")
    with world.runtime.command() as s, pytest.raises(ValidationError) as refused:
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["housing"]],
                               basis="phipa_40_1", meeting_id=mid)
    assert refused.value.field == "agency_ids" and "not active" in str(refused.value)


def test_the_core_refuses_an_inactive_agency_in_a_plan(world):
    sid, mid = _disclosed(world)
    _deactivate(world, "housing")
    with world.runtime.command() as s, pytest.raises(ValidationError) as refused:
        interventions.plan(s, world.user(s, "chair"), sid, lead_agency_id=world.agencies["cmha"],
                           assisting_agency_ids=[world.agencies["housing"]], meeting_id=mid)
    assert refused.value.field == "lead_agency_id" and "not active" in str(refused.value)
    with world.runtime.command() as s:  # an active choice still plans
        interventions.plan(s, world.user(s, "chair"), sid, lead_agency_id=world.agencies["cmha"],
                           assisting_agency_ids=[], meeting_id=mid)

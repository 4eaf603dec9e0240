"""A changed plan tells each agency whose part changed, in its language, through the real
dispatcher and a real SMTP server: the new lead that it leads (and when first contact is due),
a new assisting agency that it assists, an agency that left that it no longer leads or assists;
nobody else, and an agency an administrator deactivated not at all. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support.factories import in_intervention

from notifications.dispatch import dispatch_once
from workflow import directory_admin, replan
from workflow.models import Agency, Situation

NO_LONGER_LEADS = {"en": "your agency no longer leads the intervention",
                   "vi": "cơ quan của bạn không còn chủ trì can thiệp"}
LEADS = {"en": "Your agency leads the intervention", "vi": "Cơ quan của bạn chủ trì can thiệp"}


def _told(smtp_server) -> dict[str, list[str]]:
    """Event types by the agencies' contact addresses that received them."""
    told: dict[str, list[str]] = {}
    for mail in smtp_server.messages:
        for address in mail.rcpt_tos:
            if address.endswith("@agencies.test"):
                told.setdefault(address, []).append(mail.message["X-Hubtable-Event"])
    return told


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_each_agency_whose_part_changed_hears_it_in_its_language(world, settings, smtp_server,
                                                                 lang):
    a = world.agencies
    sid, mid = in_intervention(world)  # CMHA leads, housing assists
    with world.runtime.command() as s:
        for agency in s.scalars(select(Agency)):
            agency.language = lang
        ref = s.get_one(Situation, sid).ref
    dispatch_once(world.runtime, settings)
    smtp_server.clear()

    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid, lead_agency_id=a["housing"],
                      assisting_agency_ids=[a["school"]], meeting_id=mid)
    dispatch_once(world.runtime, settings)

    assert _told(smtp_server) == {"housing@agencies.test": ["situation.lead_assigned"],
                                  "school@agencies.test": ["situation.assisting_assigned"],
                                  "cmha@agencies.test": ["situation.unassigned"]}
    [left] = smtp_server.to("cmha@agencies.test")
    assert ref in str(left.message["Subject"])
    assert NO_LONGER_LEADS[lang] in left.part("plain")
    [leads] = smtp_server.to("housing@agencies.test")
    assert LEADS[lang] in leads.part("plain")


def test_an_agency_the_administrator_deactivated_is_not_told_it_left(world, settings,
                                                                    smtp_server):
    a = world.agencies
    sid, _mid = in_intervention(world)
    with world.runtime.command() as s:
        directory_admin.update_agency(s, world.user(s, "admin"), a["cmha"], active=False,
                                      open_work_understood=True)
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid, lead_agency_id=a["housing"],
                      assisting_agency_ids=[])
    dispatch_once(world.runtime, settings)
    assert _told(smtp_server) == {"housing@agencies.test": ["situation.lead_assigned"]}

"""Identity as typed at filter 3 and in filter 1's check for earlier discussions: each field
gets its own error, and a birth date no living person has (in the future, or more than 120
years ago) is refused by the core, so by the pages and the API alike (both databases)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select
from support.factories import open_meeting, submitted

from web.conftest import signed_in
from web.test_api_helpers import DRAFT, error_of, make_api
from web.test_pages import _filter1
from workflow import situations
from workflow.errors import ValidationError
from workflow.identity import Identity, Person, earliest_birth_date
from workflow.models import Situation

IMPLAUSIBLE = ["0001-01-01", "1800-01-01", "1900-06-30"]


def _error_near(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', html, re.S)
    assert found, f"no error shown next to {field}"
    assert f'href="#{field}"' in html and f'id="{field}"' in html
    return re.sub(r"<[^>]+>", "", found.group(1))


def _identity_page(app, world) -> tuple[object, str]:
    """A situation accepted and disclosed at an open meeting: the chair's identity form."""
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
    chair = signed_in(app, "chair")
    item = f"/meetings/{mid}/situations/{sid}"
    assert chair.post(item + "/disclose", {"agency_ids": [str(world.agencies["cmha"])],
                                           "legal_basis": "phipa_40_1"}).status_code == 302
    return chair, item + "/identity"


def _sealed(world) -> bool:
    """Whether the latest situation has an identity stored."""
    with world.runtime.read() as s:
        return world.runtime.vault.exists(s, s.scalar(select(func.max(Situation.id))))


# -- defect 7: a long address is the address's error ----------------------------------------
def test_a_long_address_is_shown_beside_the_address_not_the_name(app, world):
    chair, path = _identity_page(app, world)
    response = chair.post(path, {"person-0-name": "Kept Name",
                                 "person-0-address": "a" * 301})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "address" in _error_near(html, "person-0-address")
    assert 'id="person-0-name-error"' not in html
    assert 'value="Kept Name"' in html
    response = chair.post(path, {"person-0-name": "n" * 201, "person-0-address": "1 Street"})
    html = response.get_data(as_text=True)
    assert "name" in _error_near(html, "person-0-name")
    assert 'id="person-0-address-error"' not in html
    assert not _sealed(world)


def test_the_core_names_the_field_that_is_too_long():
    with pytest.raises(ValidationError) as long_address:
        Identity([Person(name="A Name", address="a" * 301)]).validate()
    assert long_address.value.field == "persons[0].address"
    with pytest.raises(ValidationError) as long_name:
        Identity([Person(name="n" * 201)]).validate()
    assert long_name.value.field == "persons[0].name"


# -- defect 8: birth dates no one alive has --------------------------------------------------
@pytest.mark.parametrize("born", IMPLAUSIBLE)
def test_identity_refuses_a_birth_date_more_than_120_years_ago(app, world, born):
    chair, path = _identity_page(app, world)
    response = chair.post(path, {"person-0-name": "Kept Name", "person-0-birth_date": born})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "120 years" in _error_near(html, "person-0-birth_date")
    assert 'value="Kept Name"' in html
    assert not _sealed(world)


def test_the_birth_date_floor_is_120_years_and_today_is_the_ceiling():
    floor = earliest_birth_date()
    Identity([Person(name="Oldest", birth_date=floor.isoformat())]).validate()
    Identity([Person(name="Newborn", birth_date=date.today().isoformat())]).validate()
    for born in (date.fromordinal(floor.toordinal() - 1), date.today().replace(year=9999)):
        with pytest.raises(ValidationError) as refused:
            Identity([Person(name="X", birth_date=born.isoformat())]).validate()
        assert refused.value.field == "persons[0].birth_date"
    assert earliest_birth_date(date(2028, 2, 29)) == date(1908, 2, 28)


@pytest.mark.parametrize("born", IMPLAUSIBLE)
def test_the_earlier_discussion_check_refuses_an_implausible_birth_date(app, world, born):
    web = signed_in(app, "school")
    response = web.post("/situations/new", _filter1(table_id=str(world.table_id),
                                                    action="save", check_name="Some Person",
                                                    check_birth_date=born))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "120 years" in _error_near(html, "check_birth_date")
    assert born not in html and "Some Person" not in html  # the check never echoes
    with world.runtime.read() as s:
        assert s.scalar(select(func.count(Situation.id))) == 0


@pytest.mark.parametrize("born", IMPLAUSIBLE)
def test_the_api_refuses_an_implausible_birth_date_to_check(app, runtime, world, born):
    api = make_api(app, runtime, world)
    response = api.post("/situations", {**DRAFT, "earlier_check": {"name": "Some Person",
                                                                  "birth_date": born}},
                        agency="school")
    assert response.status_code in (400, 422)
    error = error_of(response)
    assert "120 years" in error["message"] and born not in error["message"]
    with runtime.read() as s:
        assert s.scalar(select(func.count(Situation.id))) == 0

"""What an account may be: an address one mail header carries as it is, a password nobody
guesses first, and an administrator who belongs to no agency, on every path that makes or
changes one (the command line, the admin pages, the password page)."""

from __future__ import annotations

import pytest
from support.factories import PASSWORD

from workflow import directory
from workflow.errors import ValidationError


@pytest.mark.parametrize("password", [" " * 12, "a" * 12, "1234567890", "ababababab12",
                                      "hubtable-demo-2026", "xmariadelgado9"])
def test_a_predictable_password_is_refused(world, password):
    with pytest.raises(ValidationError, match="too easy to guess"), \
            world.runtime.command() as s:
        directory.create_user(s, email="mariadelgado@demo.hubtable.test", display_name="M",
                              password=password, role="agency_rep",
                              agency_id=world.agencies["cmha"])


def test_a_sound_password_is_taken(world):
    with world.runtime.command() as s:
        user = directory.create_user(s, email="maria@demo.hubtable.test", display_name="M",
                                     password="tram-kettle-orchard", role="agency_rep",
                                     agency_id=world.agencies["cmha"])
        assert user.id


def test_changing_to_a_predictable_password_is_refused(world):
    with pytest.raises(ValidationError, match="too easy to guess"), \
            world.runtime.command() as s:
        directory.change_password(s, world.user(s, "cmha"), PASSWORD, "hubtable-demo-2026")


@pytest.mark.parametrize("email", ["a,b@example.org", "<a@example.org>",
                                   'x"<script>@example.org', "a b@example.org",
                                   "a@example", "a;b@example.org"])
def test_an_address_a_mail_header_would_misread_is_refused(world, email):
    with pytest.raises(ValidationError, match="does not look like an address"), \
            world.runtime.command() as s:
        directory.create_user(s, email=email, display_name="M", password="tram-kettle-orchard",
                              role="agency_rep", agency_id=world.agencies["cmha"])


@pytest.mark.parametrize("email", ["first.last+table@example.org", "nguyen@congan.gov.vn",
                                   "o'brien@health.example.ca"])
def test_ordinary_addresses_are_taken(world, email):
    with world.runtime.command() as s:
        assert directory.create_user(s, email=email, display_name="M",
                                     password="tram-kettle-orchard", role="agency_rep",
                                     agency_id=world.agencies["cmha"]).id


def test_an_administrator_with_an_agency_is_refused_on_every_path(world):
    with pytest.raises(ValidationError, match="no agency"), world.runtime.command() as s:
        directory.create_user(s, email="root2@demo.hubtable.test", display_name="R",
                              password="tram-kettle-orchard", role="admin",
                              agency_id=world.agencies["cmha"])

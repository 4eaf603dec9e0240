"""Webhooks: pages to set, test and remove them; internal addresses refused at save and at
send (after DNS resolution) unless allow-listed; generic errors; the secret sealed."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

import pytest
from sqlalchemy import select
from support.notify import WebhookReceiver
from web.conftest import make_settings

from notifications.channels.base import ChannelError
from notifications.channels.webhook import WebhookChannel
from notifications.message import Message
from tests.hardening.conftest import signed_in
from webui import create_app
from workflow import outbound
from workflow.models import NotificationPreference

SECRET = "a-webhook-secret-of-some-length"


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture
def allowing_app(runtime, world, tmp_path):
    settings = dataclasses.replace(make_settings(runtime, tmp_path), webhook_allow="127.0.0.1/32")
    return create_app(settings, runtime=runtime, testing=True)


def _stored(world, agency_id):
    with world.runtime.read() as s:
        return s.scalar(select(NotificationPreference).where(
            NotificationPreference.agency_id == agency_id,
            NotificationPreference.channel == "webhook"))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://2130706433/hook",
    "https://0x7f000001/hook", "https://[::1]/hook", "https://169.254.169.254/latest",
    "https://10.0.0.1/hook", "https://192.168.1.10/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://[fd00::1]/hook", "https://0.0.0.0/hook", "https://localhost/hook",
    "http://8.8.8.8/hook", "ftp://8.8.8.8/hook",
])
def test_admin_page_refuses_internal_or_plain_http_webhooks(app, world, url):
    police = world.agencies["police"]
    response = signed_in(app, "admin").post("/admin/webhooks", {
        "agency_id": str(police), "webhook_url": url, "webhook_secret": SECRET})
    assert response.status_code == 400, url
    assert _stored(world, police) is None


def test_an_allow_listed_receiver_is_set_tested_and_removed(allowing_app, world, receiver):
    police = world.agencies["police"]
    admin = signed_in(allowing_app, "admin")
    assert admin.get("/admin/webhooks").status_code == 200
    response = admin.post("/admin/webhooks", {"agency_id": str(police),
                                              "webhook_url": receiver.url,
                                              "webhook_secret": SECRET})
    assert response.status_code == 302
    stored = _stored(world, police)
    assert stored.webhook_url == receiver.url
    assert SECRET not in stored.webhook_secret and stored.webhook_secret.startswith("enc1:")

    response = admin.post("/admin/webhooks", {"agency_id": str(police), "action": "test"})
    assert response.status_code == 302
    [ping] = receiver.requests
    assert ping.headers["X-Hubtable-Event"] == "webhook.test"
    expected = "sha256=" + hmac.new(SECRET.encode(), ping.body, hashlib.sha256).hexdigest()
    assert ping.headers["X-Hubtable-Signature"] == expected

    response = admin.post("/admin/webhooks", {"agency_id": str(police), "action": "remove"})
    assert response.status_code == 302
    assert _stored(world, police) is None


def test_an_agency_sets_its_own_webhook_only(allowing_app, world, receiver):
    cmha = world.agencies["cmha"]
    rep = signed_in(allowing_app, "cmha")
    assert rep.get("/agency/webhook").status_code == 200
    response = rep.post("/agency/webhook", {"agency_id": str(world.agencies["police"]),
                                            "webhook_url": receiver.url,
                                            "webhook_secret": SECRET})
    assert response.status_code == 302
    assert _stored(world, cmha).webhook_url == receiver.url
    assert _stored(world, world.agencies["police"]) is None
    assert signed_in(allowing_app, "cmha").get("/admin/webhooks").status_code == 403
    assert signed_in(allowing_app, "manager").get("/agency/webhook").status_code == 403


def test_a_failing_test_shows_only_generic_text(allowing_app, world, receiver):
    admin = signed_in(allowing_app, "admin")
    police = str(world.agencies["police"])
    admin.post("/admin/webhooks", {"agency_id": police, "webhook_url": receiver.url,
                                   "webhook_secret": SECRET})
    receiver.statuses = [503]
    response = admin.post("/admin/webhooks", {"agency_id": police, "action": "test"})
    assert response.status_code == 400
    assert "webhook answered HTTP 503" in response.get_data(as_text=True)


def _message(url: str, secret: str = SECRET) -> Message:
    return Message(key="k1", channel="webhook", to=url, language="en", subject="s", text="t",
                   html="", link="", document={"event": {"type": "situation.submitted"}},
                   event_type="situation.submitted", secret=secret)


def test_sending_to_an_internal_address_is_refused_after_resolution(receiver):
    """A URL stored before this check (or a name that now resolves inside) is caught at send."""
    url = receiver.url.replace("127.0.0.1", "localhost")
    with pytest.raises(ChannelError) as refused:
        WebhookChannel(allow=()).send(_message(url))
    assert str(refused.value) == "webhook refused: the webhook host is an internal address"
    assert receiver.requests == []
    WebhookChannel(allow=outbound.parse_allow("127.0.0.1/32")).send(_message(url))
    assert len(receiver.requests) == 1


def test_send_errors_are_generic(receiver):
    channel = WebhookChannel(allow=outbound.parse_allow("127.0.0.1/32"))
    receiver.statuses = [500]
    with pytest.raises(ChannelError) as failed:
        channel.send(_message(receiver.url))
    assert str(failed.value) == "webhook answered HTTP 500"
    closed = receiver.url.rsplit(":", 1)[0] + ":9/x"
    with pytest.raises(ChannelError) as unreachable:
        channel.send(_message(closed))
    assert str(unreachable.value) == "webhook unreachable (no connection)"


def test_the_channel_opens_a_sealed_secret(receiver):
    key = b"k" * 32
    sealed = outbound.seal_secret(key, SECRET)
    assert SECRET not in sealed
    channel = WebhookChannel(allow=outbound.parse_allow("127.0.0.1/32"), master_key=key)
    channel.send(_message(receiver.url, sealed))
    [request] = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Hubtable-Signature"] == expected

"""Messages from Jinja2 templates, in the recipient's language, from de-identified data only.

Each event type has one template per language (`templates/<lang>/<event>.j2`) holding its
subject and headline; it extends a text layout or an HTML layout (`_layout.txt`,
`_layout.html`), rendered by two environments (HTML escaping on for the second), so that a
translator edits one small file per event. The context is the event's allow-listed payload
(reference, stage, dates, codes), the table's name and a link: nothing else is loaded, so a
template cannot show what it is not given.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from notifications.message import Message
from workflow.deliveries import DeliveryWork
from workflow.reference.catalog import UnknownCode, load_catalog

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("en", "vi")
# Payload keys shown as the situation itself; the rest travel in a webhook's "data".
_SITUATION_KEYS = frozenset({"situation_id", "ref", "table_id", "stage"})
# What a chair is asked to plan at the next meeting links to the meetings.
_FOR_THE_NEXT_MEETING = frozenset({"table.agency_deactivated"})
_REASON_KINDS = {"rejection_reason": "rejection_reasons",
                 "conclusion_reason": "conclusion_reasons"}


#: How a date reads in each language: Vietnamese readers write the day first (25/11/2026).
_DAY_FORMATS = {"en": "%Y-%m-%d", "vi": "%d/%m/%Y"}


@pass_context
def _when(context: Context, value: Any) -> str:
    """An ISO date-time from the payload, shown in the table's own timezone."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    day = _DAY_FORMATS.get(context.get("lang") or "en", "%Y-%m-%d")
    if moment.tzinfo is None:
        return moment.strftime(day)
    try:
        zone = ZoneInfo(context.get("tz") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime(f"{day} %H:%M")


def _one_line(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _environments() -> tuple[Environment, Environment]:
    """The text and HTML environments, built once per process so templates compile once.

    Templates are read when first used and not re-checked on disk (a deployment restarts).
    """
    common: dict[str, Any] = dict(loader=FileSystemLoader(TEMPLATE_DIR),
                                  undefined=StrictUndefined, trim_blocks=True,
                                  lstrip_blocks=True, keep_trailing_newline=True,
                                  auto_reload=False)
    text_env = Environment(autoescape=False, **common)  # noqa: S701 (plain text)
    html_env = Environment(autoescape=True, **common)
    for env in (text_env, html_env):
        env.filters["when"] = _when
    return text_env, html_env


class Renderer:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.text_env, self.html_env = _environments()

    @staticmethod
    def language(work: DeliveryWork) -> str:
        return work.language if work.language in LANGUAGES else "en"

    @staticmethod
    def path(work: DeliveryWork) -> str:
        """Where in the web UI the event is seen (an inbox item keeps just this path)."""
        if work.situation_id is not None:
            return f"/situations/{work.situation_id}"
        if work.event_type.startswith("meeting.") or work.event_type in _FOR_THE_NEXT_MEETING:
            return "/meetings"
        if work.event_type.startswith("round."):
            return "/rounds"
        return "/"

    def link(self, work: DeliveryWork) -> str:
        return self.base_url + self.path(work)

    def labels(self, lang: str) -> Any:
        return self.text_env.get_template(f"{lang}/_labels.j2").module

    def _context(self, work: DeliveryWork) -> dict[str, Any]:
        lang = self.language(work)
        payload = work.payload
        reason = ""
        for key, kind in _REASON_KINDS.items():
            if payload.get(key):
                try:
                    reason = load_catalog().label(kind, str(payload[key]), lang)
                except UnknownCode:
                    reason = str(payload[key])
        kind = str(payload.get("deadline_kind") or "")
        deadline = self.labels(lang).deadlines.get(kind, kind.replace("_", " "))
        return dict(lang=lang, event=work.event_type, table=work.table_name,
                    table_code=work.table_code, ref=payload.get("ref") or "",
                    stage=payload.get("stage") or "", link=self.link(work), data=payload,
                    tz=work.table_timezone, reason=reason, deadline=deadline)

    def _block(self, env: Environment, name: str, block: str, context: dict[str, Any]) -> str:
        template = env.get_template(name)
        return "".join(template.blocks[block](template.new_context(context)))

    def compose(self, work: DeliveryWork, *, sent_at: datetime) -> Message:
        """One delivery's message; bodies only for the channel that shows them."""
        ctx = self._context(work)
        lang = ctx["lang"]
        name = f"{lang}/{work.event_type}.j2"
        subject = _one_line(self._block(self.text_env, name, "subject", ctx))
        text = html = ""
        document: dict[str, Any] = {}
        if work.channel == "email":
            text = self.text_env.get_template(name).render(
                ctx, layout=f"{lang}/_layout.txt", subject=subject)
            html = self.html_env.get_template(name).render(
                ctx, layout=f"{lang}/_layout.html", subject=subject)
        elif work.channel == "webhook":
            document = self._document(work, ctx, subject, sent_at)
        link = self.path(work) if work.channel == "inbox" else ctx["link"]
        return Message(key=work.dedupe_key, channel=work.channel, to=work.address,
                       language=lang, subject=subject, text=text, html=html, link=link,
                       document=document, event_type=work.event_type, event_id=work.event_id,
                       user_id=work.recipient_id if work.recipient_kind == "user" else None,
                       secret=work.secret)

    def _document(self, work: DeliveryWork, ctx: dict[str, Any], subject: str,
                  sent_at: datetime) -> dict[str, Any]:
        """The webhook body: machine-readable, the same de-identified facts as an email."""
        payload = work.payload
        return {
            "delivery": work.dedupe_key,
            "event": {"id": work.event_id, "type": work.event_type,
                      "label": self.labels(ctx["lang"]).events.get(work.event_type, ""),
                      "occurred_at": work.occurred_at.isoformat()},
            "title": subject,
            "language": ctx["lang"],
            "table": ({"id": work.table_id, "code": work.table_code, "name": work.table_name}
                      if work.table_id is not None else None),
            "situation": ({"id": work.situation_id, "ref": payload.get("ref"),
                           "stage": payload.get("stage")}
                          if work.situation_id is not None else None),
            "link": ctx["link"],
            "data": {k: v for k, v in payload.items() if k not in _SITUATION_KEYS},
            "sent_at": sent_at.isoformat(),
        }

    def compose_digest(self, works: list[DeliveryWork]) -> Message:
        """One message gathering a recipient's due digest deliveries, oldest first."""
        first = works[0]
        lang = self.language(first)
        labels = self.labels(lang)
        items = []
        for work in sorted(works, key=lambda w: (w.occurred_at, w.delivery_id)):
            ctx = self._context(work)
            name = f"{lang}/{work.event_type}.j2"
            items.append(dict(
                headline=_one_line(self._block(self.text_env, name, "headline", ctx)),
                # rendered by the escaping environment, so it is already safe HTML
                headline_html=Markup(  # noqa: S704
                    _one_line(self._block(self.html_env, name, "headline", ctx))),
                event=labels.events.get(work.event_type, work.event_type), table=ctx["table"],
                ref=ctx["ref"], link=ctx["link"]))
        subject = _one_line(str(labels.digest_subject(len(items))))
        keys = ",".join(w.dedupe_key for w in sorted(works, key=lambda w: w.delivery_id))
        context = dict(lang=lang, items=items, subject=subject, link=f"{self.base_url}/")
        return Message(
            key="digest/" + hashlib.sha256(keys.encode()).hexdigest()[:24],
            channel=first.channel, to=first.address, language=lang, subject=subject,
            text=self.text_env.get_template(f"{lang}/_digest.txt").render(context),
            html=self.html_env.get_template(f"{lang}/_digest.html").render(context),
            link=f"{self.base_url}/", document={}, event_type="digest",
            user_id=first.recipient_id if first.recipient_kind == "user" else None)

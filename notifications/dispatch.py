"""One pass of the dispatcher: outbox events -> deliveries -> messages sent, then digests.

The CLI (`hubtable notifications dispatch`) and the Prefect flow call `dispatch_once`. It is
safe to run many at once: each step claims its rows in a short transaction (workflow/
deliveries.py) and sends outside any transaction, so a slow SMTP server holds no lock.
Logs carry ids, channels, counts and the causes of failures (one summary per cause; each
failed delivery only at DEBUG), never a message's text nor an address.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from itertools import groupby

from notifications.channels import CHANNELS, Channel, ChannelError
from notifications.channels.base import ChannelSettings
from notifications.channels.email import SmtpServer
from notifications.message import Message
from notifications.render import Renderer
from workflow import deliveries
from workflow.deliveries import DeliveryWork, OutcomeCounts
from workflow.models import utcnow
from workflow.runtime import Runtime

log = logging.getLogger("hubtable.notifications")


@dataclass
class DispatchResult:
    """What one pass did. `digested` counts deliveries sent inside `digests` messages."""

    events_processed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    digested: int = 0
    digests: int = 0
    # the class of the pass's last failed send ("" when none failed); not a count
    error_class: str = ""
    # why sends failed: each cause (no address, no content) and how many deliveries it failed
    causes: dict[str, int] = field(default_factory=dict)
    # the channels that failed every send they tried in this pass (down, or their server is)
    channels_down: list[str] = field(default_factory=list)

    def add(self, counts: OutcomeCounts) -> None:
        self.sent += counts.sent
        self.failed += counts.failed
        self.dead += counts.dead

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int)}



class _Channels:
    """The pass's channel objects, built on first use and closed at the end."""

    def __init__(self, settings: ChannelSettings, runtime: Runtime) -> None:
        self.settings, self.runtime = settings, runtime
        self.open: dict[str, Channel] = {}
        self.error_class = ""
        self.causes: dict[str, int] = {}
        self.tried: dict[str, list[int]] = {}  # channel -> [accepted, failed] sends

    def get(self, name: str) -> Channel:
        if name not in self.open:
            if name not in CHANNELS:
                raise ChannelError(f"no channel named {name!r} is installed")
            self.open[name] = CHANNELS[name].from_settings(self.settings, self.runtime)
        return self.open[name]

    def close(self) -> None:
        for channel in self.open.values():
            try:
                channel.close()
            except Exception as exc:  # a failing close must not hide what was sent
                log.warning("closing the %s channel failed: %s", channel.name, exc)


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ChannelError) else f"{type(exc).__name__}: {exc}"


_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


def _cause(channel: str, exc: BaseException) -> str:
    """What went wrong, fit for a log and a terminal: a channel's own words without any
    address in them (an SMTP server's refusal may quote one), or just the error's class (an
    unexpected error's text may quote a message)."""
    if isinstance(exc, ChannelError):
        return f"{channel}: " + _ADDRESS.sub("<address>", str(exc))
    return f"{channel}: {type(exc).__name__}"


def _attempt(channels: _Channels, build: Callable[[], Message], ids: list[int], channel: str
             ) -> str | None:
    """Render and send one message; the error text, or None when it was accepted."""
    tried = channels.tried.setdefault(channel, [0, 0])
    try:
        channels.get(channel).send(build())
    except Exception as exc:  # any failure is one failed attempt, recorded and retried
        tried[1] += len(ids)
        error = _describe(exc)
        channels.error_class = type(exc).__name__
        cause = _cause(channel, exc)
        channels.causes[cause] = channels.causes.get(cause, 0) + len(ids)
        log.debug("notification delivery %s failed: %s", ",".join(map(str, ids)), cause)
        return error
    tried[0] += len(ids)
    return None


def dispatch_once(
    runtime: Runtime, settings: ChannelSettings, *, batch_size: int = 200,
    now: datetime | None = None,
) -> DispatchResult:
    """Fan out new events, send due immediate deliveries, then due digests (one pass).

    `settings` come from the composition root (hubtable/): the dispatcher reads no environment.
    """
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    SmtpServer.parse(settings.smtp_url)  # a bad URL is an operator's error, not a failed send
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    result = DispatchResult()
    renderer = Renderer(settings.base_url)
    channels = _Channels(settings, runtime)
    try:
        while True:
            with runtime.command() as session:
                expanded = deliveries.expand_events(session, limit=batch_size, now=clock())
            result.events_processed += expanded
            if expanded < batch_size:
                break
        while _send_batch(runtime, channels, renderer, batch_size, clock, result):
            pass
        while _send_digests(runtime, channels, renderer, batch_size, clock, result):
            pass
    finally:
        channels.close()
    result.error_class = channels.error_class
    result.causes = dict(channels.causes)
    result.channels_down = sorted(name for name, (accepted, failed) in channels.tried.items()
                                  if failed and not accepted)
    log.info("notifications dispatched: %s", result.as_dict())
    for cause, count in result.causes.items():
        log.info("%d notification deliveries failed: %s", count, cause)
    return result


SEND_CLAIM = 100  # deliveries leased at once: a crash strands at most this many for one lease
# Outcomes are committed at least this often: a send slower than this is recorded on its own
# (only the one in flight can go twice after a crash); fast sends share a commit, so that the
# database does not halve the throughput of a fast SMTP server.
RECORD_EVERY_SECONDS = 0.1


def _send_batch(runtime: Runtime, channels: _Channels, renderer: Renderer, batch_size: int,
                clock: Callable[[], datetime], result: DispatchResult) -> bool:
    """Send one claimed batch of immediate deliveries; True if a full batch was claimed.

    Each outcome is recorded within RECORD_EVERY_SECONDS of its send; the lease is short and renewed
    once RENEW_AFTER has passed, so a dead dispatcher's rows come free within a lease. A row
    whose lease was lost (this process stalled past it and another dispatcher took it) is not
    sent here: only what was sent since the last record (a slow send alone, or up to
    RECORD_EVERY_SECONDS of fast ones) can go twice after a crash, with the same Message-ID.
    """
    size = min(batch_size, SEND_CLAIM)
    with runtime.command() as session:
        claim = deliveries.claim_due(session, limit=size, now=clock())
    _withdrawn(claim)
    full = len(claim.work) + claim.withdrawn == size
    if not claim.work:
        return full
    held = {w.delivery_id for w in claim.work}
    renewed_at = flushed_at = time.monotonic()
    pending: dict[int, str | None] = {}
    for index, work in enumerate(claim.work):
        if work.delivery_id not in held:
            continue
        pending[work.delivery_id] = _attempt(
            channels, partial(renderer.compose, work, sent_at=clock()), [work.delivery_id],
            work.channel)
        last = index == len(claim.work) - 1
        renew = time.monotonic() - renewed_at >= deliveries.RENEW_AFTER.total_seconds()
        if not (last or renew or time.monotonic() - flushed_at >= RECORD_EVERY_SECONDS):
            continue
        # Outcomes recorded within RECORD_EVERY_SECONDS of the send (a crash after a send must
        # not send it again), and the lease on the rest renewed in the same transaction.
        with runtime.command() as session:
            result.add(deliveries.record_outcomes(session, claim.token, pending, now=clock()))
            if renew and not last:
                rest = [w.delivery_id for w in claim.work[index + 1:]]
                held = deliveries.renew(session, claim.token, rest, now=clock())
                renewed_at = time.monotonic()
        pending, flushed_at = {}, time.monotonic()
    return full


def _withdrawn(claim: deliveries.Claim) -> None:
    if claim.withdrawn:
        log.info("%d notification deliveries withdrawn: their recipient no longer receives "
                 "them (deactivated, left the agency, opted out or webhook removed)",
                 claim.withdrawn)


def _recipient(work: DeliveryWork) -> tuple[str, str, int, str]:
    return (work.channel, work.recipient_kind, work.recipient_id, work.address)


def _send_digests(runtime: Runtime, channels: _Channels, renderer: Renderer, batch_size: int,
                  clock: Callable[[], datetime], result: DispatchResult) -> bool:
    """Gather due digest deliveries per recipient into one message each.

    The claim is ordered by recipient; when it is full, its last recipient's group may go on
    in the next claim, so that group is handed back to be sent whole next time round.
    """
    with runtime.command() as session:
        claim = deliveries.claim_due(session, digest=True, limit=batch_size, now=clock())
    _withdrawn(claim)
    full = len(claim.work) + claim.withdrawn == batch_size
    if not claim.work:
        return full
    groups = [list(g) for _, g in groupby(sorted(claim.work, key=_recipient), key=_recipient)]
    held_back: list[int] = []
    if full and len(groups) > 1:
        held_back = [w.delivery_id for w in groups.pop()]
    outcomes: dict[int, str | None] = {}
    messages = 0
    for works in groups:
        ids = [w.delivery_id for w in works]
        error = _attempt(channels, partial(renderer.compose_digest, works), ids,
                         works[0].channel)
        messages += error is None
        outcomes.update(dict.fromkeys(ids, error))
    with runtime.command() as session:
        counts = deliveries.record_outcomes(session, claim.token, outcomes, now=clock())
        deliveries.release(session, claim.token, held_back)
    result.digested += counts.sent
    result.digests += messages
    result.failed += counts.failed
    result.dead += counts.dead
    return full


def warm_up() -> int:
    """Compile every template and load the mail modules now; returns the templates compiled.

    A long-running dispatcher calls this once at start, so that its first real message does
    not pay ~1 s of first-use costs after a decision.
    """
    from notifications.render import _environments

    compiled = 0
    for env in _environments():
        for name in env.list_templates():
            env.get_template(name)
            compiled += 1
    return compiled


def retry_dead(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Re-queue every dead delivery, due at once; returns how many."""
    with runtime.command() as session:
        count = deliveries.requeue_dead(session, now=now)
    log.info("re-queued %d dead notification deliveries", count)
    return count

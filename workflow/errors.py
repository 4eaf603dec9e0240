"""Domain errors: each carries a message a person can act on, and the field it is about.

A message is an English template with named parameters (`"choose %(what)s"`, what="a reason"):
the core keeps `template` and `params` so that each adapter can render the message in its
reader's language (the web UI looks the template up in its catalog, then fills the
parameters in); `message` is the English text, for the API, the CLI and the logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """Base of every refusal the core gives; adapters show `message`, or translate `template`."""

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        self.field = field


class ValidationError(DomainError):
    """Bad input: an unknown code, a missing answer, a malformed date."""


class PermissionDenied(DomainError):
    """The acting user's role or agency scope does not allow this."""


class IllegalTransition(DomainError):
    """The command is not allowed from the situation's current stage."""


class RuleRefusal(DomainError):
    """A guard of the table's rule pack refused the command. Its messages are the pack's own:
    `messages` in the table's language (the API, the CLI, the logs); `labels` in every language
    the pack wrote them in, so that a page can speak its reader's (`in_language`)."""

    def __init__(self, messages: list[str], labels: Sequence[Any] = ()) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.labels = list(labels)

    def in_language(self, language: str | None) -> list[str]:
        """The messages in `language` (each label's `get`), else as the table gave them."""
        if len(self.labels) != len(self.messages):
            return self.messages
        return [label.get(language) for label in self.labels]


class ConcurrentEdit(DomainError):
    """Someone else changed the situation since it was read."""


class NotFound(DomainError):
    """No such record, or none the user may know of (the two look the same on purpose)."""


class PackRefused(ValidationError):
    """A rule pack that does not load: every problem, each with its file, line and hint."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the rule pack has %(count)s problem(s): fix every one",
                         field="pack", count=len(problems))
        self.problems = problems

"""Domain errors: each carries a message a person can act on, and the field it is about."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the core gives; adapters show `str(error)` as is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """Bad input: an unknown code, a missing answer, a malformed date."""


class PermissionDenied(DomainError):
    """The acting user's role or agency scope does not allow this."""


class IllegalTransition(DomainError):
    """The command is not allowed from the situation's current stage."""


class RuleRefusal(DomainError):
    """A guard of the table's rule pack refused the command."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


class ConcurrentEdit(DomainError):
    """Someone else changed the situation since it was read."""


class NotFound(DomainError):
    """No such record, or none the user may know of (the two look the same on purpose)."""


class PackRefused(ValidationError):
    """A rule pack that does not load: every problem, each with its file, line and hint."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"the rule pack has {len(problems)} problem(s): fix every one",
                         field="pack")
        self.problems = problems

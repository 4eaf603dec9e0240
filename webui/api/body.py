"""Reading a request's JSON body into the core's inputs, refusing bad input field by field.

The core checks what the codes mean (an unknown risk factor, a reason that is not a chosen
factor); this module checks only what JSON cannot promise: that the body is an object, that
each field has the right type, that nothing is missing and nothing unknown is sent (a typo such
as `risk_factor` would otherwise be silently ignored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import request

from webui.values import MAX_INT, bounded_int, clean_text
from workflow.deidentified import identifying_kinds
from workflow.errors import ValidationError
from workflow.situations import Filter1

_OPTIONAL_BOOLS = ("options_exhausted", "needs_multiple_agencies", "harm_probable_imminent")
_OPTIONAL_CODES = ("consent", "help_source")
MAX_DEPTH = 8  # the deepest body the API takes is an object of lists
REQUIRED = ("table", "situation_type", "age_group", "gender", "risk_factors")
OPTIONAL = ("aer_reasons", "summary", "persons_count", *_OPTIONAL_BOOLS, *_OPTIONAL_CODES,
            "screening_answers", "submit", "earlier_check", "confirm_deidentified")


@dataclass
class DraftRequest:
    """A POST /situations body: where, the filter 1 facts, and whether to submit at once."""

    table: str | int
    facts: Filter1
    submit: bool
    earlier_check: tuple[str, str] = ("", "")  # name, birth date: made into tokens only


#: The kinds of identity `identifying_kinds` finds, as the API's messages name them.
KIND_WORDS = {"name": "a name", "birth_date": "a birth date",
              "phone_or_id": "a phone, card or ID number", "email": "an email address",
              "address": "an address"}

#: Bodies Flask reads as a form (leaving no raw body to read as JSON).
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def json_object(*, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}` where the endpoint allows it."""
    if request.mimetype in _FORM_TYPES:
        raise ValidationError("the request body must be JSON (Content-Type: application/json), "
                              "not a form")
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            return {}
        raise ValidationError("the request body is empty: send a JSON object")
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise ValidationError("the request body must be UTF-8 encoded JSON") from None
    except json.JSONDecodeError as exc:
        # The decoder's message names the line and column, never the content itself.
        raise ValidationError(f"the request body is not valid JSON: {exc.msg} "
                              f"(line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ValidationError(f"the request body is nested too deeply (at most {MAX_DEPTH} "
                              "levels)") from None
    except ValueError:  # an integer of more digits than Python converts
        raise ValidationError("the request body holds a number too large") from None
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object ({...})")
    _check_storable(data, 0)
    return data


def _check_storable(value: Any, depth: int) -> None:
    """Shallow enough, no NUL or lone surrogate in a string, no integer beyond the columns."""
    if depth > MAX_DEPTH:
        raise ValidationError(f"the request body is nested too deeply (at most {MAX_DEPTH} "
                              "levels)")
    if isinstance(value, str):
        if clean_text(value) is None:
            raise ValidationError("the request body holds characters that cannot be stored "
                                  "(a NUL or an unpaired surrogate)")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise ValidationError(f"the request body holds a number beyond {MAX_INT}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, depth + 1)
            _check_storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_storable(item, depth + 1)


def _no_unknown(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise ValidationError(f"unknown field {key!r}; expected one of {', '.join(allowed)}",
                                  field=str(key))


def _string(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string (a code)", field=name)
    return value.strip()


def _optional_string(data: dict[str, Any], name: str) -> str | None:
    if data.get(name) is None:
        return None
    return _string(data, name)


def _string_list(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{name} must be a list of codes (strings)", field=name)
    return [v.strip() for v in value]


def _optional_bool(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{name} must be true, false or null (not yet answered)",
                              field=name)
    return value


def _integer(data: dict[str, Any], name: str, default: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be a whole number", field=name)
    return value


def _table(data: dict[str, Any]) -> str | int:
    value = data["table"]
    if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_INT:
        raise ValidationError("no such table", field="table")
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ValidationError("table must be a table code (e.g. \"PEEL\") or a table id",
                              field="table")
    return value


def _screening(data: dict[str, Any]) -> dict[str, bool] | None:
    value = data.get("screening_answers")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
        raise ValidationError("screening_answers must be an object of question code -> "
                              "true/false", field="screening_answers")
    return value


def draft_request(data: dict[str, Any]) -> DraftRequest:
    _no_unknown(data, (*REQUIRED, *OPTIONAL))
    for name in REQUIRED:
        if name not in data:
            raise ValidationError(f"{name} is required", field=name)
    summary = data.get("summary", "")
    if not isinstance(summary, str):
        raise ValidationError("summary must be a string (de-identified)", field="summary")
    submit = data.get("submit", False)
    if not isinstance(submit, bool):
        raise ValidationError("submit must be true or false", field="submit")
    _check_deidentified(summary, data.get("confirm_deidentified", False))
    facts = Filter1(
        situation_type=_string(data, "situation_type"),
        age_group=_string(data, "age_group"),
        gender=_string(data, "gender"),
        risk_factors=_string_list(data, "risk_factors"),
        aer_reasons=_string_list(data, "aer_reasons"),
        summary=summary,
        persons_count=_integer(data, "persons_count", 1),
        options_exhausted=_optional_bool(data, "options_exhausted"),
        needs_multiple_agencies=_optional_bool(data, "needs_multiple_agencies"),
        harm_probable_imminent=_optional_bool(data, "harm_probable_imminent"),
        consent=_optional_string(data, "consent"),
        help_source=_optional_string(data, "help_source"),
        screening_answers=_screening(data),
    )
    return DraftRequest(table=_table(data), facts=facts, submit=submit,
                        earlier_check=_earlier_check(data))


def _check_deidentified(summary: str, confirmed: Any) -> None:
    """A summary that looks as if it holds identity is refused until the client confirms it
    does not; the message names the kinds found, never the text (as the page does)."""
    if not isinstance(confirmed, bool):
        raise ValidationError("confirm_deidentified must be true or false",
                              field="confirm_deidentified")
    kinds = identifying_kinds(summary)
    if kinds and not confirmed:
        raise ValidationError(
            f"the summary may identify someone ({', '.join(KIND_WORDS[k] for k in kinds)}): "
            "take it out (filters 1 and 2 share no identity), or send "
            "\"confirm_deidentified\": true if nothing in it identifies anyone",
            field="summary")


def _earlier_check(data: dict[str, Any]) -> tuple[str, str]:
    """The optional {"name", "birth_date"} to check for earlier discussions (never echoed)."""
    value = data.get("earlier_check")
    if value is None:
        return "", ""
    if not isinstance(value, dict) or set(value) - {"name", "birth_date"} or not all(
            isinstance(v, str) for v in value.values()):
        raise ValidationError("earlier_check must be an object with string name and "
                              "birth_date", field="earlier_check")
    return value.get("name", ""), value.get("birth_date", "")


def expected_version(data: dict[str, Any]) -> int | None:
    """The optional `version` of a submit body: the version the client last read."""
    _no_unknown(data, ("version",))
    if data.get("version") is None:
        return None
    return _integer(data, "version", 0)


def query_int(name: str, *, default: int, low: int, high: int | None = None) -> int:
    """A whole-number query parameter within [low, high], or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    bound = f"between {low} and {high}" if high is not None else f"at least {low}"
    value = bounded_int(raw, low=low, high=MAX_INT if high is None else high)
    if value is None:
        raise ValidationError(f"{name} must be a whole number {bound}", field=name)
    return value

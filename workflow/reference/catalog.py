"""Typed, validated access to the reference data: the risk-factor taxonomy and the code lists.

Why this module: the codes are data, editable per deployment (DOMAIN.md), yet forms, rule
packs, minutes, reports and exports must all agree on them. This is the one place that reads
`taxonomy.yaml` and `codes.yaml`, refuses a broken edit when it is loaded (with a message that
names the file and the code to fix) rather than when a situation first uses it, and answers the
small questions the core asks: which category a factor belongs to, whether an age group is a
child, which outcome a conclusion counts as, what a code is called in English or Vietnamese.

Pure on purpose: the standard library and PyYAML only, so the domain core, the rule engine and
every adapter can import it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

TAXONOMY_FILE = "taxonomy.yaml"
CODES_FILE = "codes.yaml"

#: The code lists of `codes.yaml`, in file order; each is an attribute of `Catalog`.
CODE_LISTS: tuple[str, ...] = (
    "age_groups",
    "genders",
    "situation_types",
    "consent",
    "rejection_reasons",
    "conclusion_reasons",
    "withdrawal_reasons",
    "services",
    "sectors",
    "help_sources",
    "task_statuses",
)
#: Every kind `Catalog.codes`, `Catalog.label` and `Catalog.items` accept.
KINDS: tuple[str, ...] = ("categories", "factors", "protective_factors", *CODE_LISTS)
#: What a conclusion reason counts as in the indicators (share of situations with risk lowered).
OUTCOMES: tuple[str, ...] = ("risk_lowered", "still_aer", "transferred")

_SLUG = r"[a-z][a-z0-9_]*"
_CATEGORY_CODE = re.compile(rf"^{_SLUG}$")
_PROTECTIVE_CODE = re.compile(rf"^protective\.{_SLUG}$")
_LIST_CODE = re.compile(r"^[a-z0-9][a-z0-9_+-]*$")  # "0-5" and "60+" are age-group codes
_COMMA_HINT = " (an unquoted comma inside {...} makes one)"
_EXTRA_KEYS: dict[str, dict[str, type]] = {
    "age_groups": {"child": bool, "minor": bool},
    "conclusion_reasons": {"outcome": str},
}


class ReferenceDataError(ValueError):
    """A reference file is missing or broken; the message names the file and the code to fix."""


class UnknownCode(KeyError):
    """A code (or kind of code) asked of the catalog is not in it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown code"


def _in_language(en: str, vi: str, lang: str) -> str:
    """The Vietnamese label when asked for ("vi", "vi-VN", "vi_VN") and present, else English."""
    base = lang.replace("_", "-").split("-", 1)[0].lower() if lang else "en"
    return vi if base == "vi" and vi else en


@dataclass(frozen=True)
class Label:
    """An item of a code list: a stable code and its English and Vietnamese labels."""

    code: str
    en: str
    vi: str

    def label(self, lang: str = "en") -> str:
        return _in_language(self.en, self.vi, lang)


@dataclass(frozen=True)
class AgeGroup(Label):
    """An age group; `child` (under 16) drives the duty-to-report rule, `minor` is under 18."""

    child: bool
    minor: bool


@dataclass(frozen=True)
class ConclusionReason(Label):
    """How a situation closed, and which outcome (`OUTCOMES`) that counts as."""

    outcome: str


@dataclass(frozen=True)
class Factor:
    """A risk factor, coded `<category>.<slug>`."""

    code: str
    category: str
    en: str
    vi: str

    def label(self, lang: str = "en") -> str:
        return _in_language(self.en, self.vi, lang)


@dataclass(frozen=True)
class Category:
    """A risk-factor category and its factors, in file order."""

    code: str
    en: str
    vi: str
    factors: tuple[Factor, ...]

    def label(self, lang: str = "en") -> str:
        return _in_language(self.en, self.vi, lang)


Item = Label | Factor | Category
_T = TypeVar("_T")


@dataclass(frozen=True, eq=False)
class Catalog:
    """The loaded reference data. Mappings are read-only and keep the files' order."""

    version: str
    categories: tuple[Category, ...]
    factors: Mapping[str, Factor]
    protective_factors: Mapping[str, Label]
    age_groups: Mapping[str, AgeGroup]
    genders: Mapping[str, Label]
    situation_types: Mapping[str, Label]
    consent: Mapping[str, Label]
    rejection_reasons: Mapping[str, Label]
    conclusion_reasons: Mapping[str, ConclusionReason]
    withdrawal_reasons: Mapping[str, Label]
    services: Mapping[str, Label]
    sectors: Mapping[str, Label]
    help_sources: Mapping[str, Label]
    task_statuses: Mapping[str, Label]
    _category_index: Mapping[str, Category] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = MappingProxyType({category.code: category for category in self.categories})
        object.__setattr__(self, "_category_index", index)

    def items(self, kind: str) -> Mapping[str, Item]:
        """The items of one kind (see `KINDS`), code -> item, in file order."""
        if kind == "categories":
            return self._category_index
        if kind not in KINDS:
            raise UnknownCode(
                f"unknown kind of reference code {kind!r}; expected one of {', '.join(KINDS)}"
            )
        items: Mapping[str, Item] = getattr(self, kind)
        return items

    def codes(self, kind: str) -> frozenset[str]:
        """The valid codes of one kind, to check input against."""
        return frozenset(self.items(kind))

    def label(self, kind: str, code: str, lang: str = "en") -> str:
        """A code's label in `lang` ("vi" or "en"; anything else, or a missing vi, gives en)."""
        return self._get(kind, self.items(kind), code).label(lang)

    def choices(self, kind: str, lang: str = "en") -> list[tuple[str, str]]:
        """(code, label) pairs in file order, for a form's select list."""
        return [(code, item.label(lang)) for code, item in self.items(kind).items()]

    def category_of(self, factor_code: str) -> str:
        """The category code of a risk factor, e.g. "housing" for "housing.transient"."""
        return self._get("factors", self.factors, factor_code).category

    def is_child(self, age_group: str) -> bool:
        """Whether the age group is under 16 (the Vietnam pack's duty-to-report threshold)."""
        return self._get("age_groups", self.age_groups, age_group).child

    def is_minor(self, age_group: str) -> bool:
        """Whether the age group is under 18."""
        return self._get("age_groups", self.age_groups, age_group).minor

    def outcome_of(self, conclusion_code: str) -> str:
        """The outcome a conclusion reason counts as: risk_lowered, still_aer or transferred."""
        return self._get("conclusion_reasons", self.conclusion_reasons, conclusion_code).outcome

    def _get(self, kind: str, items: Mapping[str, _T], code: str) -> _T:
        try:
            return items[code]
        except KeyError:
            raise UnknownCode(
                f"unknown {kind} code {code!r} (reference data {self.version})"
            ) from None


def load_catalog(directory: str | os.PathLike[str] | None = None) -> Catalog:
    """Load and validate the reference data from `directory` (default: this package's files).

    The default catalog is loaded once per process; a deployment that edits the files
    restarts. Raises `ReferenceDataError` naming the file and the code at fault.
    """
    if directory is None:
        return _default_catalog()
    return _load(Path(directory))


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return _load(Path(__file__).resolve().parent)


def _load(directory: Path) -> Catalog:
    taxonomy_path = directory / TAXONOMY_FILE
    codes_path = directory / CODES_FILE
    version, categories, protective = _parse_taxonomy(taxonomy_path, _read(taxonomy_path))
    lists = _parse_codes(codes_path, _read(codes_path))
    factors = {factor.code: factor for category in categories for factor in category.factors}
    return Catalog(
        version=version,
        categories=categories,
        factors=MappingProxyType(factors),
        protective_factors=MappingProxyType(protective),
        **{kind: MappingProxyType(lists[kind]) for kind in CODE_LISTS},
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: reference file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{path}: cannot be read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ReferenceDataError(f"{path}: expected a mapping at the top of the file")
    return data


def _parse_taxonomy(
    path: Path, data: dict[str, Any]
) -> tuple[str, tuple[Category, ...], dict[str, Label]]:
    _no_unknown_keys(path, "the file", data, {"version", "categories", "protective_factors"})
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ReferenceDataError(
            f'{path}: "version" must be a quoted string, e.g. version: "2026.1"'
        )

    raw_categories = _list(path, data, "categories")
    categories: list[Category] = []
    category_codes: set[str] = set()
    factor_codes: set[str] = set()
    for position, raw in enumerate(raw_categories, start=1):
        where = f"category #{position}"
        code, en, vi = _labels(path, where, raw, {"factors"})
        if not _CATEGORY_CODE.match(code):
            raise ReferenceDataError(
                f"{path}: category code {code!r} must be lowercase letters, digits and underscores"
            )
        if code in category_codes:
            raise ReferenceDataError(f"{path}: duplicate category code {code!r}")
        category_codes.add(code)

        raw_factors = raw.get("factors")
        if not isinstance(raw_factors, list) or not raw_factors:
            raise ReferenceDataError(f"{path}: category {code!r} needs a non-empty list of factors")
        factor_pattern = re.compile(rf"^{re.escape(code)}\.{_SLUG}$")
        factors: list[Factor] = []
        for factor_position, raw_factor in enumerate(raw_factors, start=1):
            factor_code, factor_en, factor_vi = _labels(
                path, f"factor #{factor_position} of category {code!r}", raw_factor, set()
            )
            if not factor_pattern.match(factor_code):
                raise ReferenceDataError(
                    f"{path}: factor code {factor_code!r} in category {code!r} must be "
                    f'"{code}.<slug>" (lowercase letters, digits and underscores)'
                )
            if factor_code in factor_codes:
                raise ReferenceDataError(f"{path}: duplicate factor code {factor_code!r}")
            factor_codes.add(factor_code)
            factors.append(Factor(factor_code, code, factor_en, factor_vi))
        categories.append(Category(code, en, vi, tuple(factors)))

    protective: dict[str, Label] = {}
    for position, raw in enumerate(_list(path, data, "protective_factors"), start=1):
        code, en, vi = _labels(path, f"protective factor #{position}", raw, set())
        if not _PROTECTIVE_CODE.match(code):
            raise ReferenceDataError(
                f'{path}: protective factor code {code!r} must be "protective.<slug>"'
            )
        if code in protective:
            raise ReferenceDataError(f"{path}: duplicate protective factor code {code!r}")
        protective[code] = Label(code, en, vi)
    return version, tuple(categories), protective


def _parse_codes(path: Path, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    _no_unknown_keys(path, "the file", data, set(CODE_LISTS))
    lists: dict[str, dict[str, Any]] = {}
    for kind in CODE_LISTS:
        extras = _EXTRA_KEYS.get(kind, {})
        items: dict[str, Any] = {}
        for position, raw in enumerate(_list(path, data, kind), start=1):
            code, en, vi = _labels(path, f"{kind} item #{position}", raw, set(extras))
            if not _LIST_CODE.match(code):
                raise ReferenceDataError(
                    f"{path}: {kind} code {code!r} must be lowercase letters, digits, "
                    "underscores, '-' or '+'"
                )
            if code in items:
                raise ReferenceDataError(f"{path}: duplicate {kind} code {code!r}")
            values = {}
            for key, expected in extras.items():
                value = raw.get(key)
                if not isinstance(value, expected):
                    raise ReferenceDataError(
                        f"{path}: {kind} code {code!r} needs {key!r} ({expected.__name__})"
                    )
                values[key] = value
            items[code] = _build(kind, path, code, en, vi, values)
        lists[kind] = items
    return lists


def _build(kind: str, path: Path, code: str, en: str, vi: str, values: dict[str, Any]) -> Label:
    if kind == "age_groups":
        if values["child"] and not values["minor"]:
            raise ReferenceDataError(f"{path}: age group {code!r} is a child but not a minor")
        return AgeGroup(code, en, vi, child=values["child"], minor=values["minor"])
    if kind == "conclusion_reasons":
        if values["outcome"] not in OUTCOMES:
            raise ReferenceDataError(
                f"{path}: conclusion reason {code!r} has outcome {values['outcome']!r}; "
                f"expected one of {', '.join(OUTCOMES)}"
            )
        return ConclusionReason(code, en, vi, outcome=values["outcome"])
    return Label(code, en, vi)


def _list(path: Path, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise ReferenceDataError(f"{path}: {key!r} must be a non-empty list")
    return value


def _labels(path: Path, where: str, raw: Any, extra_keys: set[str]) -> tuple[str, str, str]:
    """Check one item's code and both labels; unknown keys are refused to catch typos."""
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{path}: {where} must be a mapping with code, en and vi")
    code = raw.get("code")
    if not isinstance(code, str) or not code:
        raise ReferenceDataError(
            f"{path}: {where} has no code (quote it if it looks like a number)"
        )
    allowed = {"code", "en", "vi", *extra_keys}
    _no_unknown_keys(path, f"{where} ({code!r})", raw, allowed, hint=_COMMA_HINT)
    for lang, language in (("en", "English"), ("vi", "Vietnamese")):
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise ReferenceDataError(f"{path}: code {code!r} has no {language} label ({lang})")
    return code, raw["en"].strip(), raw["vi"].strip()


def _no_unknown_keys(
    path: Path, where: str, raw: dict[str, Any], allowed: set[str], hint: str = ""
) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise ReferenceDataError(
            f"{path}: {where} has unknown key(s) {', '.join(map(repr, unknown))}{hint}; "
            f"expected {', '.join(sorted(allowed))}"
        )

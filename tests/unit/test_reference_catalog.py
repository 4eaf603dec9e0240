"""The reference catalog: the shipped taxonomy and code lists are complete and consistent, and a
broken edit is refused at load time with a message naming the file and the code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from workflow.reference import (
    CODE_LISTS,
    KINDS,
    OUTCOMES,
    Catalog,
    ReferenceDataError,
    UnknownCode,
    load_catalog,
)
from workflow.reference import catalog as catalog_module

REFERENCE_DIR = Path(catalog_module.__file__).resolve().parent

EXPECTED_CATEGORIES = [
    "alcohol", "drugs", "mental_health", "cognitive_functioning", "physical_health", "suicide",
    "self_harm", "criminal_involvement", "criminal_victimization", "antisocial_behaviour",
    "physical_violence", "emotional_violence", "sexual_violence", "elderly_abuse", "parenting",
    "supervision", "missing_runaway", "missing_school", "negative_peers", "gangs", "housing",
    "basic_needs", "poverty", "unemployment", "social_environment", "threat_public_safety",
    "gambling",
]  # fmt: skip


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def broken_copy(tmp_path: Path):
    """Copy the shipped files to tmp_path; a test edits one file's parsed YAML, then loads."""
    for name in (catalog_module.TAXONOMY_FILE, catalog_module.CODES_FILE):
        shutil.copy(REFERENCE_DIR / name, tmp_path / name)

    def edit(name: str, change) -> Path:
        path = tmp_path / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return tmp_path

    return edit


def all_items(catalog: Catalog):
    for kind in KINDS:
        yield from ((kind, item) for item in catalog.items(kind).values())


def test_the_taxonomy_has_the_27_rtd_categories_in_order(catalog):
    assert [category.code for category in catalog.categories] == EXPECTED_CATEGORIES
    assert catalog.version == "2026.1"


def test_the_taxonomy_has_about_a_hundred_factors_three_to_six_per_category(catalog):
    assert 90 <= len(catalog.factors) <= 110
    for category in catalog.categories:
        assert 3 <= len(category.factors) <= 6, category.code
    assert sum(len(category.factors) for category in catalog.categories) == len(catalog.factors)


def test_about_fifty_protective_factors_coded_protective_dot_slug(catalog):
    assert 45 <= len(catalog.protective_factors) <= 55
    assert all(code.startswith("protective.") for code in catalog.protective_factors)


@pytest.mark.parametrize(
    "code",
    [
        "mental_health.diagnosed", "housing.transient", "missing_school.truancy",
        "physical_violence.person_perpetrator", "physical_violence.person_victim",
        "physical_violence.in_home", "parenting.parent_child_conflict", "parenting.neglect",
        "supervision.inadequate", "sexual_violence.person_victim",
        "emotional_violence.person_victim", "emotional_violence.in_home", "drugs.person_use",
        "alcohol.person_use", "suicide.person_risk", "self_harm.person",
        "criminal_involvement.person_perpetrator", "missing_runaway.runaway", "basic_needs.unmet",
        "housing.unsafe", "housing.eviction",
    ],
)  # fmt: skip
def test_factor_codes_other_modules_rely_on_exist(catalog, code):
    assert code in catalog.factors


def test_every_label_has_english_and_vietnamese(catalog):
    for kind, item in all_items(catalog):
        assert item.en.strip(), (kind, item.code)
        assert item.vi.strip(), (kind, item.code)


def test_vietnamese_labels_are_not_copies_of_the_english_ones(catalog):
    copies = [
        (kind, item.code)
        for kind, item in all_items(catalog)
        if item.vi == item.en and not item.code[0].isdigit()
    ]
    assert copies == []
    assert catalog.label("categories", "mental_health", "vi") == "Sức khỏe tâm thần"


def test_each_factor_belongs_to_an_existing_category_and_carries_its_prefix(catalog):
    for code, factor in catalog.factors.items():
        assert factor.category in catalog.codes("categories")
        assert code.startswith(factor.category + ".")
        assert catalog.category_of(code) == factor.category


def test_codes_are_unique_within_each_kind(catalog):
    taxonomy = yaml.safe_load((REFERENCE_DIR / "taxonomy.yaml").read_text(encoding="utf-8"))
    codes = yaml.safe_load((REFERENCE_DIR / "codes.yaml").read_text(encoding="utf-8"))
    factor_codes = [f["code"] for c in taxonomy["categories"] for f in c["factors"]]
    lists = {
        "categories": [c["code"] for c in taxonomy["categories"]],
        "factors": factor_codes,
        "protective_factors": [p["code"] for p in taxonomy["protective_factors"]],
        **{kind: [item["code"] for item in codes[kind]] for kind in CODE_LISTS},
    }
    for kind, values in lists.items():
        assert len(values) == len(set(values)), kind
        assert catalog.codes(kind) == frozenset(values)


@pytest.mark.parametrize(
    ("age_group", "child", "minor"),
    [("0-5", True, True), ("6-11", True, True), ("12-15", True, True), ("16-17", False, True),
     ("18-24", False, False), ("40-59", False, False), ("60+", False, False)],
)  # fmt: skip
def test_a_child_is_under_16_and_a_minor_under_18(catalog, age_group, child, minor):
    assert catalog.is_child(age_group) is child
    assert catalog.is_minor(age_group) is minor


def test_code_lists_hold_the_domain_codes(catalog):
    assert list(catalog.age_groups) == [
        "0-5", "6-11", "12-15", "16-17", "18-24", "25-29", "30-39", "40-59", "60+"
    ]  # fmt: skip
    assert catalog.codes("genders") == {"female", "male", "other", "multiple", "unknown"}
    assert catalog.codes("situation_types") == {"person", "family", "dwelling", "neighbourhood"}
    assert catalog.codes("consent") == {"given", "refused", "not_possible"}
    assert catalog.codes("task_statuses") == {"open", "done", "not_done"}
    assert {"hotline_111", "hotline_18008065", "police", "self"} <= catalog.codes("help_sources")
    assert len(catalog.sectors) == 14 and len(catalog.services) == 12


def test_every_conclusion_reason_counts_as_a_known_outcome(catalog):
    assert catalog.outcome_of("lowered_connected") == "risk_lowered"
    assert catalog.outcome_of("still_aer_unable_to_locate") == "still_aer"
    assert catalog.outcome_of("transferred") == "transferred"
    assert {reason.outcome for reason in catalog.conclusion_reasons.values()} == set(OUTCOMES)


def test_labels_fall_back_to_english_for_other_languages(catalog):
    assert catalog.label("factors", "housing.transient", "en") == "Transient"
    assert catalog.label("factors", "housing.transient", "vi") == "Không có chỗ ở ổn định"
    assert catalog.label("factors", "housing.transient", "vi-VN") == "Không có chỗ ở ổn định"
    assert catalog.label("factors", "housing.transient", "fr") == "Transient"
    assert catalog.genders["female"].label("vi") == "Nữ"


def test_unknown_codes_and_kinds_are_refused_by_name(catalog):
    with pytest.raises(UnknownCode, match="housing.nowhere"):
        catalog.category_of("housing.nowhere")
    with pytest.raises(UnknownCode, match="'99-100'"):
        catalog.is_child("99-100")
    with pytest.raises(UnknownCode, match="colours"):
        catalog.codes("colours")


def test_the_default_catalog_is_loaded_once_and_is_read_only(catalog):
    assert load_catalog() is catalog
    with pytest.raises(TypeError):
        catalog.factors["housing.new"] = catalog.factors["housing.transient"]  # type: ignore[index]


def test_an_explicit_directory_loads_a_fresh_equal_copy(broken_copy):
    copy = load_catalog(broken_copy("codes.yaml", lambda data: None))
    assert copy is not load_catalog()
    assert copy.codes("factors") == load_catalog().codes("factors")


def test_a_duplicate_factor_code_is_refused_naming_file_and_code(broken_copy):
    def duplicate(data):
        housing = next(c for c in data["categories"] if c["code"] == "housing")
        housing["factors"].append(dict(housing["factors"][0]))

    with pytest.raises(
        ReferenceDataError, match=r"taxonomy\.yaml.*duplicate.*'housing\.transient'"
    ):
        load_catalog(broken_copy("taxonomy.yaml", duplicate))


def test_a_duplicate_code_list_code_is_refused(broken_copy):
    def duplicate(data):
        data["genders"].append({"code": "male", "en": "Male again", "vi": "Nam"})

    with pytest.raises(ReferenceDataError, match=r"codes\.yaml.*duplicate genders code 'male'"):
        load_catalog(broken_copy("codes.yaml", duplicate))


def test_a_missing_vietnamese_label_is_refused_naming_file_and_code(broken_copy):
    def drop_vi(data):
        housing = next(c for c in data["categories"] if c["code"] == "housing")
        homeless = next(f for f in housing["factors"] if f["code"] == "housing.homeless")
        del homeless["vi"]

    with pytest.raises(ReferenceDataError, match=r"taxonomy\.yaml.*'housing\.homeless'.*vi"):
        load_catalog(broken_copy("taxonomy.yaml", drop_vi))


def test_an_empty_vietnamese_label_in_a_code_list_is_refused(broken_copy):
    def blank_vi(data):
        data["sectors"][0]["vi"] = "  "

    with pytest.raises(ReferenceDataError, match=r"codes\.yaml.*'police'.*Vietnamese"):
        load_catalog(broken_copy("codes.yaml", blank_vi))


def test_a_factor_not_prefixed_by_its_category_is_refused(broken_copy):
    def misfile(data):
        data["categories"][0]["factors"][0]["code"] = "drugs.misfiled"

    with pytest.raises(ReferenceDataError, match=r"'drugs\.misfiled' in category 'alcohol'"):
        load_catalog(broken_copy("taxonomy.yaml", misfile))


def test_an_unquoted_comma_in_a_flow_item_is_caught(broken_copy):
    directory = broken_copy("codes.yaml", lambda data: None)
    path = directory / "taxonomy.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('en: "Truancy"', "en: Truancy, skipping classes"), encoding="utf-8"
    )
    with pytest.raises(ReferenceDataError, match=r"missing_school\.truancy.*unknown key"):
        load_catalog(directory)


def test_a_conclusion_reason_with_an_unknown_outcome_is_refused(broken_copy):
    def bad_outcome(data):
        data["conclusion_reasons"][0]["outcome"] = "solved"

    with pytest.raises(ReferenceDataError, match=r"'lowered_connected'.*outcome 'solved'"):
        load_catalog(broken_copy("codes.yaml", bad_outcome))


def test_a_missing_code_list_and_a_missing_file_are_refused(broken_copy):
    directory = broken_copy("codes.yaml", lambda data: data.pop("help_sources"))
    with pytest.raises(ReferenceDataError, match=r"codes\.yaml.*'help_sources'"):
        load_catalog(directory)
    (directory / "taxonomy.yaml").unlink()
    with pytest.raises(ReferenceDataError, match=r"taxonomy\.yaml.*not found"):
        load_catalog(directory)


def test_reference_data_error_is_a_value_error():
    assert issubclass(ReferenceDataError, ValueError)

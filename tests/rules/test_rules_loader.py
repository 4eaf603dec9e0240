"""check_pack reports every problem with its line and a hint; load_pack never executes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules import Problem, RulePackError, check_pack, load_pack
from rules.loader import parse_pack

# Each line that should be reported ends with "# <- code"; the test finds its line number.
BROKEN = """\
name: broken-pack
version: "1.0"
labels: {en: Broken, vi: Hỏng}
settings:
  quorum_sectors: 3
rules:
  - id: unknown_fact
    labels: {en: a, vi: a}
    trigger: submit
    when: risk_factor_cnt < 2  # <- unknown_fact
    actions: [{type: guard, message: {en: m, vi: m}}]
  - id: wrong_type
    labels: {en: a, vi: a}
    trigger: submit
    when: risk_factor_count < "two"  # <- type_error
    actions: [{type: guard, message: {en: m, vi: m}}]
  - id: syntax
    labels: {en: a, vi: a}
    trigger: submit
    when: risk_factor_count < and  # <- syntax_error
    actions: [{type: guard, message: {en: m, vi: m}}]
  - id: stage
    labels: {en: a, vi: a}
    trigger: enter:acepted  # <- unknown_stage
    actions: [{type: notify, to: chair, event: x}]
  - id: trigger
    labels: {en: a, vi: a}
    trigger: submitt  # <- unknown_trigger
    actions: [{type: notify, to: chair, event: x}]
  - id: sector
    labels: {en: a, vi: a}
    trigger: accept
    actions:
      - type: suggest
        sectors: [police, polic]  # <- unknown_sector
  - id: action
    labels: {en: a, vi: a}
    trigger: accept
    actions:
      - type: notfy  # <- unknown_action
        to: chair
  - id: sector  # <- duplicate_id
    labels: {en: a, vi: a}
    trigger: accept
    actions: [{type: notify, to: chair, event: x}]
  - id: negative
    labels: {en: a, vi: a}
    trigger: accept
    actions:
      - type: deadline
        kind: first_contact
        business_days: -2  # <- bad_duration
  - id: zero
    labels: {en: a, vi: a}
    trigger: accept
    actions:
      - type: deadline
        kind: first_contact
        hours: 0  # <- bad_duration
  - id: words
    labels: {en: a, vi: a}
    trigger: accept
    actions:
      - type: deadline
        kind: first_contact
        business_days: two  # <- bad_duration
  - id: both
    labels: {en: a, vi: a}
    trigger: accept
    actions:
      - type: deadline
        kind: first_contact
        business_days: 2
        hours: 12  # <- bad_duration
  - id: no_labels  # <- missing_label
    trigger: accept
    actions: [{type: notify, to: chair, event: x}]
  - id: half_labels
    labels: {en: only English}  # <- missing_label
    trigger: accept
    actions: [{type: notify, to: chair, event: x}]
  - id: audience
    labels: {en: a, vi: a}
    trigger: accept
    actions:
      - type: notify
        to: chiar  # <- unknown_audience
        event: x
  - id: builtin
    labels: {en: a, vi: a}
    trigger: submit
    when: $now > $today  # <- forbidden
    actions: [{type: guard, message: {en: m, vi: m}}]
  - id: import
    labels: {en: a, vi: a}
    trigger: submit
    when: __import__('os')  # <- unknown_fact
    actions: [{type: guard, message: {en: m, vi: m}}]
  - id: dunder
    labels: {en: a, vi: a}
    trigger: submit
    when: stage.__class__ == "x"  # <- type_error
    actions: [{type: guard, message: {en: m, vi: m}}]
  - id: not_boolean
    labels: {en: a, vi: a}
    trigger: submit
    when: risk_factor_count  # <- type_error
    actions: [{type: guard, message: {en: m, vi: m}}]
  - id: code_typo
    labels: {en: a, vi: a}
    trigger: accept
    when: '"mental-health" in risk_categories'  # <- unknown_code
    actions: [{type: notify, to: chair, event: x}]
  - id: guard_on_timer
    labels: {en: a, vi: a}
    trigger: timer:open_meetings
    actions:
      - type: guard  # <- schema
        message: {en: m, vi: m}
  - id: passed
    labels: {en: a, vi: a}
    trigger: timer:deadline_passed
    deadline: frist_contact  # <- unknown_deadline_kind
    actions: [{type: notify, to: chair, event: x}]
  - id: typo_key
    labels: {en: a, vi: a}
    trigger: accept
    acions: []  # <- unknown_key
    actions: [{type: notify, to: chair, event: x}]
"""


def expected_lines(text: str) -> list[tuple[int, str]]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.search(r"# <- (\w+)", line)
        if match:
            out.append((number, match.group(1)))
    return out


@pytest.fixture
def broken_file(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_every_problem_kind_at_its_line(broken_file: Path):
    problems = check_pack(broken_file)
    found = {(p.line, p.code) for p in problems}
    for line, code in expected_lines(BROKEN):
        assert (line, code) in found, f"expected {code} at line {line}; got {sorted(found)}"
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file == str(broken_file)
        assert problem.hint, f"no hint for {problem}"
        assert problem.line > 0


@pytest.mark.parametrize(
    "code,line_contains,hint_contains",
    [
        ("unknown_fact", "risk_factor_cnt", "risk_factor_count"),
        ("unknown_stage", "acepted", "accepted"),
        ("unknown_trigger", "submitt", "submit"),
        ("unknown_sector", "polic", "police"),
        ("unknown_action", "notfy", "notify"),
        ("unknown_audience", "chiar", "chair"),
        ("unknown_code", "mental-health", "mental_health"),
        ("unknown_deadline_kind", "frist_contact", "first_contact"),
        ("unknown_key", "acions", "actions"),
    ],
)
def test_hints_suggest_the_closest_name(broken_file, code, line_contains, hint_contains):
    lines = BROKEN.splitlines()
    problems = [p for p in check_pack(broken_file) if p.code == code]
    matching = [p for p in problems if line_contains in lines[p.line - 1]]
    assert matching, problems
    assert hint_contains in matching[0].hint


def test_duplicate_id_points_to_the_first(broken_file):
    (problem,) = [p for p in check_pack(broken_file) if p.code == "duplicate_id"]
    first_line = next(
        n for n, line in enumerate(BROKEN.splitlines(), 1) if line.strip() == "- id: sector"
    )
    assert str(first_line) in problem.hint


def test_load_pack_raises_with_every_problem(broken_file):
    with pytest.raises(RulePackError) as caught:
        load_pack(broken_file)
    assert len(caught.value.problems) == len(check_pack(broken_file))
    assert "broken.yaml" in str(caught.value)
    assert len(caught.value.problems) >= len(expected_lines(BROKEN))


def test_problem_str_is_one_line_with_hint():
    problem = Problem("p.yaml", 12, "unknown fact 'x'", "did you mean 'y'?", "unknown_fact")
    assert str(problem) == "p.yaml:12: unknown fact 'x' (hint: did you mean 'y'?)"


def test_yaml_syntax_error_has_line():
    text = 'name: x\nversion: "1"\nlabels: {en: a, vi: b\nrules: []\n'
    _, problems = parse_pack(text, "bad.yaml")
    assert [p.code for p in problems] == ["yaml_error"]
    assert problems[0].line in (3, 4)
    assert problems[0].hint


def test_missing_top_level_keys():
    _, problems = parse_pack("rules: []\n", "empty.yaml")
    messages = " ".join(p.message for p in problems)
    assert "'name'" in messages and "'version'" in messages and "'labels'" in messages


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just a string",
        "- a\n- b\n",
        "name: x\nversion: '1'\nlabels: {en: a, vi: b}\nrules: {a: 1}\n",
        "!!python/object/apply:os.system ['echo hacked']\n",
        "name: &a x\nversion: *a\nlabels: {en: a, vi: b}\nrules: []\n",
        "a: &a [*a]\n",
        "[" * 5000,
        "name: x\nversion: '1'\nlabels: {en: a, vi: b}\nrules:\n  - 2026-13-45\n",
    ],
)
def test_malformed_text_gives_problems_not_exceptions(text):
    pack, problems = parse_pack(text, "m.yaml")
    assert pack is None
    assert problems
    with pytest.raises(RulePackError):
        load_pack(text + "\n", source_name="m.yaml")


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    parse_pack(text, "evil.yaml")
    assert not marker.exists()


def test_missing_file_is_a_problem(tmp_path):
    problems = check_pack(tmp_path / "nope.yaml")
    assert problems[0].code == "io"
    with pytest.raises(RulePackError):
        load_pack(tmp_path / "nope.yaml")


def test_valid_inline_pack_loads(make_pack):
    pack = make_pack(
        """
        - id: ok
          labels: {en: ok, vi: được}
          trigger: submit
          when: risk_factor_count < quorum_sectors
          actions:
            - type: guard
              message: {en: m, vi: m}
        """,
        extra="""
        country: CA
        subdivision: "ON"
        settings:
          quorum_sectors: 3
        """,
    )
    assert pack.name == "test-pack"
    assert pack.version == "0.1"
    assert pack.country == "CA" and pack.subdivision == "ON"
    assert pack.settings["quorum_sectors"] == 3
    rule = pack.rule("ok")
    assert rule.names == ("risk_factor_count", "quorum_sectors")
    assert rule.line == 10  # 3 header lines, a blank, 4 extra lines, "rules:"
    assert pack.rules_for("submit") == (rule,)


@pytest.mark.parametrize(
    "extra,code",
    [
        ("country: XX\n", "bad_country"),
        ("country: CA\nsubdivision: ZZ\n", "bad_country"),
        ("settings:\n  stage: 3\n", "bad_setting"),
        ("settings:\n  quorum_sectors: -1\n", "bad_setting"),
        ("settings:\n  and: 1\n", "bad_setting"),
        (
            "screening:\n  threshold: 3\n  questions:\n    - {id: a, en: 'A?', vi: 'A?'}\n",
            "bad_screening",
        ),
        ("screening:\n  threshold: 1\n  questions:\n    - {id: a, en: 'A?'}\n", "missing_label"),
    ],
)
def test_top_level_problems(text_of, extra, code):
    text = text_of(
        """
        - id: ok
          labels: {en: ok, vi: được}
          trigger: submit
          actions: [{type: notify, to: chair, event: x}]
        """,
        extra,
    )
    _, problems = parse_pack(text, "t.yaml")
    assert code in {p.code for p in problems}, problems
    assert all(p.line > 0 for p in problems if p.code == code)


def test_due_soon_needs_within_hours(text_of):
    text = text_of(
        """
        - id: soon
          labels: {en: soon, vi: sắp}
          trigger: timer:due_soon
          actions: [{type: notify, to: lead, event: x}]
        """
    )
    _, problems = parse_pack(text, "t.yaml")
    assert [p.code for p in problems] == ["missing"]
    assert "within_hours" in problems[0].hint

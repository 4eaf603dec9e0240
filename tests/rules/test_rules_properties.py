"""Property tests: the loader only ever returns a pack or RulePackError; evaluation of a
loaded pack never raises on valid facts; code-execution tricks are refused at load."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules import (
    FACT_TYPES,
    RulePackError,
    evaluate,
    load_pack,
    load_shipped_pack,
    normalize_facts,
    parse_pack,
)
from rules.conditions import compile_condition
from rules.facts import _A, _B, _F, _S, make_context
from rules.loader import PACKS_DIR
from rules.vocabulary import (
    AUDIENCES,
    COMMANDS,
    KNOWN_DEADLINE_KINDS,
    RISK_CATEGORIES,
    SECTORS,
    STAGES,
    TRIGGERS,
)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ONTARIO_TEXT = (PACKS_DIR / "ontario.yaml").read_text(encoding="utf-8")

BOOL_FACTS = sorted(n for n, t in FACT_TYPES.items() if t == _B)
NUM_FACTS = sorted(n for n, t in FACT_TYPES.items() if t == _F)
STR_FACTS = sorted(n for n, t in FACT_TYPES.items() if t == _S)
ARRAY_FACTS = sorted(n for n, t in FACT_TYPES.items() if t == _A)
CODED = {
    "stage": STAGES,
    "trigger": TRIGGERS,
    "originating_sector": SECTORS,
    "lead_sector": SECTORS,
    "conclusion_outcome": ("risk_lowered", "still_aer", "transferred"),
}
ARRAY_CODES = {
    "risk_categories": RISK_CATEGORIES,
    "sectors_present": SECTORS,
    "assisting_sectors": SECTORS,
    "granted_sectors": SECTORS,
    "risk_factors": tuple(f"{c}.person" for c in RISK_CATEGORIES),
    "aer_reasons": tuple(f"{c}.in_home" for c in RISK_CATEGORIES),
}
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


def _check_pack_outcome(text: str) -> None:
    """load_pack returns a pack or raises RulePackError with problems; nothing else."""
    try:
        pack = load_pack(text, source_name="fuzz.yaml")
    except RulePackError as error:
        assert error.problems
        assert all(p.file == "fuzz.yaml" and p.message for p in error.problems)
    else:
        assert pack.name and pack.version


# --- malformed input --------------------------------------------------------------------
@SETTINGS
@given(st.text(max_size=400))
def test_random_text(text):
    _check_pack_outcome(text)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(list(TRIGGERS) + list(SECTORS) + ["guard", "deadline", "notify", "chair"]),
)
KEYS = st.sampled_from(
    [
        "name",
        "version",
        "labels",
        "en",
        "vi",
        "rules",
        "id",
        "trigger",
        "when",
        "actions",
        "type",
        "message",
        "kind",
        "business_days",
        "hours",
        "to",
        "event",
        "sectors",
        "code",
        "label",
        "settings",
        "screening",
        "suggest",
        "questions",
        "threshold",
        "deadline",
        "within_hours",
        "country",
        "subdivision",
        "on",
        "categories",
        "from",
    ]
) | st.text(max_size=6)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)


@SETTINGS
@given(TREES)
def test_random_yaml_structures(tree):
    _check_pack_outcome(yaml.safe_dump(tree, allow_unicode=True))


@SETTINGS
@given(TREES)
def test_random_structures_in_a_pack_shape(tree):
    doc = {
        "name": "fuzz",
        "version": "1",
        "labels": {"en": "a", "vi": "b"},
        "rules": [
            {"id": "x", "labels": {"en": "a", "vi": "b"}, "trigger": "submit", "actions": [tree]},
            tree,
        ],
        "settings": tree if isinstance(tree, dict) else {},
    }
    _check_pack_outcome(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_shipped_pack(data):
    text = ONTARIO_TEXT
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 60)))
    insert = data.draw(st.text(max_size=10))
    _check_pack_outcome(text[:start] + insert + text[end:])


# --- generated valid packs ------------------------------------------------------------
def _string_literal(text: str) -> str:
    return '"' + text + '"'


LEAF = st.one_of(
    st.sampled_from(BOOL_FACTS),
    st.builds(
        lambda f, op, n: f"{f} {op} {n}",
        st.sampled_from(NUM_FACTS),
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        st.integers(-5, 400),
    ),
    st.builds(
        lambda f, g, n: f"{f} + {g} > {n}",
        st.sampled_from(NUM_FACTS),
        st.sampled_from(NUM_FACTS),
        st.integers(0, 50),
    ),
    st.builds(
        lambda f, g: f"{f} / {g} > 1",  # may divide by zero at evaluation
        st.sampled_from(NUM_FACTS),
        st.sampled_from(NUM_FACTS),
    ),
    st.sampled_from(sorted(CODED)).flatmap(
        lambda f: st.sampled_from(CODED[f]).map(lambda c: f"{f} == {_string_literal(c)}")
    ),
    st.builds(
        lambda f, w: f"{f} != {_string_literal(w)}",
        st.sampled_from([f for f in STR_FACTS if f not in CODED]),
        WORD,
    ),
    st.sampled_from(sorted(ARRAY_CODES)).flatmap(
        lambda f: st.sampled_from(ARRAY_CODES[f]).map(lambda c: f"{_string_literal(c)} in {f}")
    ),
    st.builds(lambda f, n: f"{f}.length >= {n}", st.sampled_from(ARRAY_FACTS), st.integers(0, 5)),
    st.builds(lambda f: f'{f}[0] == "x"', st.sampled_from(ARRAY_FACTS)),  # may be out of range
)
CONDITIONS = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        inner.map(lambda c: f"not ({c})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}) and ({p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}) or ({p[1]})"),
    ),
    max_leaves=5,
)
LABEL = st.fixed_dictionaries(
    {
        "en": st.text(min_size=1, max_size=15).filter(str.strip),
        "vi": st.text(min_size=1, max_size=15).filter(str.strip),
    }
)
SLUG = st.builds(
    lambda a, b: a + b, st.sampled_from("abcxyz"), st.text(alphabet="abc123_", max_size=8)
)
AUDIENCE = st.one_of(
    st.sampled_from(AUDIENCES),
    st.sampled_from(SECTORS).map(lambda s: f"sector:{s}"),
    SLUG.map(lambda s: "agency:" + s.replace("_", "-")),
)


def _actions(commands_only: bool):
    options = [
        st.builds(
            lambda k, n: {"type": "deadline", "kind": k, "business_days": n},
            st.sampled_from(KNOWN_DEADLINE_KINDS),
            st.integers(1, 260),
        ),
        st.builds(
            lambda k, h: {"type": "deadline", "kind": k, "hours": h, "from": "now"},
            st.sampled_from(KNOWN_DEADLINE_KINDS),
            st.floats(min_value=0.01, max_value=1000, allow_nan=False),
        ),
        st.builds(lambda to, e: {"type": "notify", "to": to, "event": e}, AUDIENCE, SLUG),
        st.builds(
            lambda s: {"type": "suggest", "sectors": s},
            st.lists(st.sampled_from(SECTORS), min_size=1, max_size=4),
        ),
        st.builds(lambda c, lab: {"type": "flag", "code": c, "label": lab}, SLUG, LABEL),
        st.builds(lambda to, m: {"type": "escalate", "to": to, "message": m}, AUDIENCE, LABEL),
    ]
    if commands_only:
        options.append(st.builds(lambda m: {"type": "guard", "message": m}, LABEL))
    return st.lists(st.one_of(options), min_size=1, max_size=3)


@st.composite
def rules_strategy(draw, index):
    triggers = draw(st.lists(st.sampled_from(TRIGGERS), min_size=1, max_size=3, unique=True))
    rule = {
        "id": f"r{index}",
        "labels": draw(LABEL),
        "trigger": triggers if len(triggers) > 1 else triggers[0],
        "actions": draw(_actions(set(triggers) <= set(COMMANDS))),
    }
    if draw(st.booleans()):
        rule["when"] = draw(CONDITIONS)
    if set(triggers) <= {"timer:deadline_passed", "timer:due_soon"} and draw(st.booleans()):
        rule["deadline"] = draw(st.sampled_from(KNOWN_DEADLINE_KINDS))
    if "timer:due_soon" in triggers:
        if set(triggers) != {"timer:due_soon"}:
            triggers.remove("timer:due_soon")
            rule["trigger"] = triggers
        else:
            rule["within_hours"] = draw(st.integers(1, 72))
    return rule


@st.composite
def packs(draw):
    count = draw(st.integers(1, 5))
    return {
        "name": "generated",
        "version": "1",
        "labels": {"en": "Generated", "vi": "Được sinh ra"},
        "country": draw(st.sampled_from(["CA", "VN"])),
        "rules": [draw(rules_strategy(i)) for i in range(count)],
    }


def _fact_value(data_type):
    if data_type == _B:
        return st.booleans()
    if data_type == _F:
        return st.one_of(
            st.integers(-(10**6), 10**6),
            st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
        )
    if data_type == _S:
        return st.one_of(st.sampled_from(STAGES + SECTORS), st.text(max_size=10))
    return st.lists(
        st.one_of(st.sampled_from(RISK_CATEGORIES + SECTORS), st.text(max_size=8)), max_size=5
    )


FACTS = st.fixed_dictionaries({}, optional={n: _fact_value(t) for n, t in FACT_TYPES.items()})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    packs(),
    FACTS,
    st.sampled_from(TRIGGERS),
    st.sampled_from((None, *KNOWN_DEADLINE_KINDS)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
)
def test_generated_packs_load_and_evaluation_never_raises(doc, facts, trigger, kind, hours):
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    pack, problems = parse_pack(text, "generated.yaml")
    assert problems == [], problems
    for each in {trigger, *pack.triggers}:
        result = evaluate(pack, each, facts, deadline_kind=kind, hours_remaining=hours)
        assert len(result.outcomes) <= len(pack.rules)
        for outcome in result.outcomes:
            assert outcome.rule.id in outcome.explanation
        if result.guard_failures:
            assert not result.allowed and not result.notifications and not result.deadlines


# --- refusing code execution tricks -------------------------------------------------------
EVIL = [
    "__import__('os')",
    "__import__('os').system('touch /tmp/hubtable-pwned') == 0",
    "stage.__class__",
    "stage.__class__.__mro__[1].__subclasses__()",
    "risk_factors.__len__() > 0",
    "stage.__dict__ == null",
    "$now > $today",
    "$random() > 0",
    "$map($abs, [1]).length > 0",
    "open('x') == null",
    "eval('1') == 1",
    "exec('import os')",
    "globals() == null",
    "getattr(stage, 'upper') == null",
    "stage.format('x') == ''",
    "import os",
    "lambda: 1",
    "().__class__",
    "os.system('id') == 0",
    "stage.upper() == 'X'",
]


def _with_condition(condition: str) -> str:
    doc = {
        "name": "evil",
        "version": "1",
        "labels": {"en": "a", "vi": "b"},
        "rules": [
            {
                "id": "x",
                "labels": {"en": "a", "vi": "b"},
                "trigger": "submit",
                "when": condition,
                "actions": [{"type": "guard", "message": {"en": "a", "vi": "b"}}],
            }
        ],
    }
    return yaml.safe_dump(doc)


def test_code_execution_tricks_are_refused_at_load(tmp_path):
    import os

    for condition in EVIL:
        pack, problems = parse_pack(_with_condition(condition), "evil.yaml")
        assert pack is None, condition
        assert {p.code for p in problems} <= {
            "unknown_fact",
            "type_error",
            "syntax_error",
            "forbidden",
        }, (condition, problems)
    assert not os.path.exists("/tmp/hubtable-pwned")


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(FACT_TYPES)), st.from_regex(r"__[a-z]{1,12}__", fullmatch=True))
def test_dunder_attributes_are_refused(fact, dunder):
    for condition in (f"{fact}.{dunder}", f"{fact}.{dunder} == null", f"{dunder}({fact})"):
        pack, problems = parse_pack(_with_condition(condition), "evil.yaml")
        assert pack is None and problems


@SETTINGS
@given(st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True))
def test_unknown_names_are_refused(name):
    assume(
        name not in FACT_TYPES
        and name
        not in {
            "and",
            "or",
            "not",
            "in",
            "if",
            "else",
            "for",
            "true",
            "false",
            "null",
            "inf",
            "nan",
        }
    )
    pack, problems = parse_pack(_with_condition(f"{name} == 1"), "x.yaml")
    assert pack is None and problems


# --- the fast path agrees with rule-engine ----------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONDITIONS, FACTS)
def test_fast_path_agrees_with_rule_engine(condition, facts):
    compiled, issues = compile_condition(condition, make_context(), dict(FACT_TYPES))
    assert compiled is not None, issues
    values, _ = normalize_facts(facts)
    try:
        expected = compiled.evaluate_with_rule_engine(values)
    except Exception:
        expected = "error"
    try:
        got = compiled.evaluate(values)
    except Exception:
        got = "error"
    if expected != "error":
        assert got == expected, condition


def test_shipped_conditions_take_the_fast_path():
    for name in ("ontario", "vietnam"):
        for rule in load_shipped_pack(name).rules:
            if rule.condition is not None:
                assert rule.condition.fast is not None, rule.when

"""A pack's screening checklist: yes/no questions and the score at which a case is high risk.

Scoring answers is rules/screening.py; this module only reads and checks the section.
"""

from __future__ import annotations

from yaml.nodes import Node, SequenceNode

from rules.model import Question, Screening
from rules.pack_reader import Fields, Reader, line_of


def read_screening(reader: Reader, node: Node) -> Screening | None:
    """The checklist, or None (with problems) when any part of it is wrong."""
    fields = reader.mapping(node, "screening", ("labels", "threshold", "questions"))
    if fields is None:
        return None
    labels = reader.label(fields["labels"][1], "screening labels") if "labels" in fields else None
    threshold = None
    t_node = reader.required(fields, "threshold", node, "screening", "add `threshold: 14`")
    if t_node is not None:
        value = reader.value(t_node)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            reader.problem(
                t_node,
                "bad_screening",
                "screening threshold must be a whole number above 0",
                "e.g. threshold: 14",
            )
        else:
            threshold = value
    questions: list[Question] = []
    q_node = reader.required(
        fields, "questions", node, "screening", "add `questions:` with {id, en, vi} items"
    )
    if q_node is not None:
        if not isinstance(q_node, SequenceNode) or not q_node.value:
            reader.problem(q_node, "bad_screening", "screening questions must be a non-empty list")
        else:
            questions = _questions(reader, q_node)
            if threshold is not None and threshold > len(q_node.value):
                reader.problem(
                    t_node,
                    "bad_screening",
                    f"threshold {threshold} is above the number of questions ({len(q_node.value)})",
                    "lower it or add questions",
                )
    if threshold is None or not questions:
        return None
    return Screening(threshold=threshold, questions=tuple(questions), labels=labels)


def _questions(reader: Reader, q_node: SequenceNode) -> list[Question]:
    """Each well-formed {id, en, vi} item; ids are codes and unique."""
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for item in q_node.value:
        q_fields = reader.mapping(item, "a screening question", quiet=True)
        if q_fields is None:
            reader.problem(
                item, "bad_screening", "a screening question must be a mapping {id, en, vi}"
            )
            continue
        qid = _question_id(reader, q_fields, item, seen)
        label = reader.label(item, f"question {qid or '?'}", extra_keys=("id",))
        if qid is not None and label is not None:
            questions.append(Question(id=qid, text=label))
    return questions


def _question_id(reader: Reader, q_fields: Fields, item: Node, seen: dict[str, int]) -> str | None:
    id_node = reader.required(q_fields, "id", item, "a screening question", "add `id: <code>`")
    if id_node is None:
        return None
    qid = reader.slug(id_node, "question id")
    if qid is not None and qid in seen:
        reader.problem(
            id_node,
            "duplicate_id",
            f"question id {qid!r} appears twice",
            f"first on line {seen[qid]}",
        )
        return None
    if qid is not None:
        seen[qid] = line_of(id_node)
    return qid

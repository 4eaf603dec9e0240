"""The reference data an agency's system needs to fill a body: the risk-factor taxonomy and the
code lists, each code with its English and Vietnamese labels (and, for age groups and
conclusion reasons, the flags the rules use). The same files the forms and rule packs read.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify

from webui.api.auth import as_agency
from webui.api.blueprint import bp
from workflow.reference import load_catalog
from workflow.reference.catalog import CODE_LISTS, Label

_LABEL_KEYS = {"code", "en", "vi"}


def _item(item: Label) -> dict[str, Any]:
    extras = {k: v for k, v in asdict(item).items() if k not in _LABEL_KEYS}
    return {"code": item.code, "labels": {"en": item.en, "vi": item.vi}, **extras}


def reference_document() -> dict[str, Any]:
    catalog = load_catalog()
    return {
        "version": catalog.version,
        "taxonomy": {
            "categories": [
                {"code": c.code, "labels": {"en": c.en, "vi": c.vi},
                 "factors": [{"code": f.code, "labels": {"en": f.en, "vi": f.vi}}
                             for f in c.factors]}
                for c in catalog.categories
            ],
            "protective_factors": [_item(p) for p in catalog.protective_factors.values()],
        },
        "codes": {kind: [_item(i) for i in getattr(catalog, kind).values()]
                  for kind in CODE_LISTS},
    }


@bp.get("/reference")
def get_reference() -> Response:
    with as_agency():
        answer = reference_document()
    return jsonify(answer)

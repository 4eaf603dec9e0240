"""The OpenAPI document tells the truth: every route is in it, its schemas are valid JSON
Schema (2020-12, as OpenAPI 3.1 uses), every reference resolves, and real answers match."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support.factories import in_intervention

from web.test_api_helpers import DRAFT, Api, error_of, make_api


@pytest.fixture
def api(app, runtime, world) -> Api:
    return make_api(app, runtime, world)


_AUTOMATIC = {"HEAD", "OPTIONS"}


def _document(api) -> dict[str, Any]:
    response = api.get("/openapi.json", headers={"X-No-Token": "1"})
    assert response.status_code == 200
    return response.get_json()


def _blueprint_routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of each API view, without the JSON 404/405 catch-all."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.no_such_endpoint":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routes |= {(m, path) for m in rule.methods - _AUTOMATIC}
    return routes


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def _validator(doc: dict[str, Any], schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema_name}",
                                 "components": doc["components"]})


def test_every_route_of_the_blueprint_is_documented_and_nothing_else(api, world):
    doc = _document(api)
    documented = {(method.upper(), path) for path, item in doc["paths"].items()
                  for method in item if method != "parameters"}
    routes = _blueprint_routes(api.client.application)
    assert len(routes) == 10  # with the rounds and follow-up routes
    assert routes == documented


def test_the_document_is_structurally_sound(api, world):
    doc = _document(api)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["components"]["securitySchemes"]["agencyToken"] == {
        **doc["components"]["securitySchemes"]["agencyToken"], "type": "http",
        "scheme": "bearer"}
    assert doc["security"] == [{"agencyToken": []}]
    for ref in _refs(doc):
        _resolve(doc, ref)
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    operation_ids = []
    for path, item in doc["paths"].items():
        for placeholder in re.findall(r"{(\w+)}", path):
            params = item.get("parameters", [])
            assert any(p["name"] == placeholder and p["in"] == "path" for p in params), path
        for method, op in item.items():
            if method == "parameters":
                continue
            operation_ids.append(op["operationId"])
            assert op["responses"], (method, path)
            if path != "/openapi.json":
                assert "401" in op["responses"], (method, path)
    assert len(operation_ids) == len(set(operation_ids))


def test_real_answers_match_their_schemas(api, world):
    doc = _document(api)
    sid, _ = in_intervention(world)
    created = api.post("/situations", {**DRAFT, "submit": True}, agency="school")
    checks = [
        ("SituationStatus", created),
        ("SituationStatus", api.get(f"/situations/{sid}", agency="cmha")),
        ("SituationList", api.get("/situations", agency="school")),
        ("TaskList", api.get("/tasks", agency="housing")),
        ("Reference", api.get("/reference", agency="school")),
        ("Error", api.get("/situations/999999", agency="school")),
        ("Error", api.post("/situations", {**DRAFT, "gender": "?"}, agency="school")),
        ("Error", api.post("/situations", {**DRAFT, "risk_factors": ["housing.transient"],
                                           "aer_reasons": [], "submit": True},
                           agency="school")),
        ("Error", api.get("/tasks")),
    ]
    for schema_name, response in checks:
        assert response.status_code < 500
        _validator(doc, schema_name).validate(response.get_json())
    assert api.get("/tasks", agency="housing").get_json()["count"] == 1


def test_the_documented_draft_schema_accepts_the_body_the_api_accepts(api, world):
    doc = _document(api)
    _validator(doc, "SituationDraft").validate({**DRAFT, "submit": True})
    errors = list(_validator(doc, "SituationDraft").iter_errors({**DRAFT, "risk_factor": []}))
    assert errors  # the schema refuses a misspelt field, as the API does
    assert error_of(api.post("/situations", {**DRAFT, "risk_factor": []},
                             agency="school"))["field"] == "risk_factor"

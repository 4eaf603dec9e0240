"""Filter 1's error summary links a refused reason for AER to a control on the page: the
tick of the first such reason, its category opened (both databases)."""

from __future__ import annotations

import re

from web.conftest import signed_in


def _form(world, **overrides) -> dict:
    return {"table_id": str(world.table_id), "situation_type": "person", "age_group": "25-29",
            "gender": "female", "persons_count": "1",
            "risk_factors": ["mental_health.diagnosed"], "aer_reasons": ["drugs.person_use"],
            "summary": "Typed summary", "action": "save", **overrides}


def _summary_targets(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.findall(r'href="#([^"]+)"', summary)


def test_a_reason_for_aer_that_is_not_a_chosen_factor_links_to_its_tick(app, world):
    response = signed_in(app, "school").post("/situations/new", _form(world))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    [target] = _summary_targets(html)
    tick = re.search(rf'<input [^>]*id="{target}"[^>]*>', html)
    assert tick, f"the summary links #{target}, which is no control of the page"
    assert 'name="aer_reasons" value="drugs.person_use" checked' in tick.group(0)
    assert 'aria-describedby="aer_reasons-error"' in tick.group(0)
    details = html[:tick.start()].rsplit("<details", 1)[1]
    assert details.startswith(" open"), "the category of the linked tick is opened"
    assert html.count(f'id="{target}"') == 1
    assert "Typed summary" in html


def test_an_unknown_reason_links_to_its_message(app, world):
    response = signed_in(app, "school").post("/situations/new",
                                             _form(world, aer_reasons=["no.such_factor"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    [target] = _summary_targets(html)
    assert html.count(f'id="{target}"') == 1
    assert re.search(rf'id="{target}"[^>]*>\s*<p class="error" id="aer_reasons-error">', html)

"""A stored monthly report read in Vietnamese names its rows in Vietnamese, as the live report
does: the body keeps the code-list labels in English (the report as built), and the archive
gives each in the reader's language from the reference data. Before, a Vietnamese reader saw
"Adult" where the live page says it in Vietnamese."""

from __future__ import annotations

import re

from web.conftest import signed_in
from web.test_monthly_archive import JAN, app  # noqa: F401 (the archive's stored months)
from workflow.reference.catalog import load_catalog

ROW = re.compile(r'<th scope="row">([^<]+)</th>')


def _rows(html: str) -> set[str]:
    return set(ROW.findall(html))


def test_a_stored_reports_rows_are_named_in_the_readers_language(app):  # noqa: F811
    english = _rows(signed_in(app, "manager").get(JAN).get_data(as_text=True))
    web = signed_in(app, "manager")
    web.post("/language", {"language": "vi", "next": "/"})
    vietnamese = _rows(web.get(JAN).get_data(as_text=True))
    catalog = load_catalog()
    ages = {catalog.label("age_groups", c, "en"): catalog.label("age_groups", c, "vi")
            for c in catalog.items("age_groups")}
    shown = [en for en in ages if en in english and ages[en] != en]
    assert shown, english  # the data set has age groups whose two labels differ
    for en in shown:
        assert ages[en] in vietnamese and en not in vietnamese, (en, vietnamese)

"""The one read's and the one write's EXECUTEs (workflow.literals) are the driver's own bytes.

Whatever mix of values a command sends (text with quotes, backslashes, percent signs or
letters beyond ASCII, negative and huge numbers, times with and without a zone, and kinds the
fast path never writes), the statement is exactly what psycopg2's `mogrify` makes of it, and
the server reads the same values back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from workflow import literals

_ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=7)),
                          timezone(timedelta(hours=-4, minutes=-30))])
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(),
    st.text(alphabet="ab'\\%\"-:; \n"),
    st.datetimes(timezones=_ZONES),
    st.dates(),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False),
)


@pytest.fixture
def cursor(pg_database: str) -> Iterator[Any]:
    url = make_url(pg_database)
    connection = psycopg2.connect(host=url.host, port=url.port, user=url.username,
                                  dbname=url.database)
    yield connection.cursor()
    connection.close()


def _driver(cursor: Any, name: str, values: list[Any]) -> bytes:
    marks = ", ".join(["%s"] * len(values))
    return cursor.mogrify(f"EXECUTE {name} ({marks})" if values else f"EXECUTE {name}",
                          values)  # type: ignore[no-any-return]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_VALUES, max_size=12))
def test_an_execute_is_what_the_driver_writes_for_any_mix_of_values(cursor, values):
    # text with a NUL is refused, by the driver and here alike: the next test
    values = [v for v in values if not (isinstance(v, str) and "\x00" in v)]
    assert literals.execute(cursor, "hubtable_write_1", values) == _driver(
        cursor, "hubtable_write_1", values)


def test_text_the_server_cannot_hold_is_refused_as_the_driver_refuses_it(cursor):
    with pytest.raises(ValueError, match="NUL"):
        _driver(cursor, "s", ["a\x00b"])
    with pytest.raises(ValueError, match="NUL"):
        literals.execute(cursor, "s", ["a\x00b"])


def test_the_server_reads_back_the_values_it_was_given(cursor):
    cursor.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")
    cursor.execute("PREPARE echo (bigint, boolean, text, text, text, timestamptz, timestamp, "
                   "date, numeric) AS SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9")
    given_values = [-42, True, "it's 100% \\ here", "plain ascii", "Hà Nội",
                    datetime(2026, 12, 2, 18, 0, 0, 123456, tzinfo=UTC),
                    datetime(2026, 1, 1, 1, 2, 3), date(2026, 1, 2), Decimal("1.50")]
    cursor.execute(literals.execute(cursor, "echo", given_values))
    assert list(cursor.fetchone()) == given_values

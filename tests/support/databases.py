"""Where the test PostgreSQL server is (one place, imported by fixtures and tests)."""

import os

PG_ADMIN_URL = os.environ.get(
    "HUBTABLE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

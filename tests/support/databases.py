"""Where the test PostgreSQL server is (one place, imported by fixtures and tests).

Written the way an operator writes it (`postgresql://...`), normalised the way the settings
normalise it, so the tests run on the shipped driver (psycopg2).
"""

import os

from hubtable.config import normalise_database_url

PG_ADMIN_URL = normalise_database_url(
    os.environ.get("HUBTABLE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))

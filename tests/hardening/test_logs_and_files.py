"""No SQL parameter (a summary, a note) reaches a log; the data dir and its files are private."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hubtable.wiring import compose
from workflow.db import make_engine

MARKER = "SUMMARY-MARKER-7f3a"


def test_a_database_error_hides_its_parameters(runtime):
    with pytest.raises(DBAPIError) as failed, runtime.command() as s:
        s.execute(text("INSERT INTO users (id, email) VALUES (:id, :email)"),
                  {"id": 1, "email": MARKER})
    assert MARKER not in str(failed.value)
    assert "hidden" in str(failed.value)


def test_the_web_log_after_a_database_error_has_no_summary(app, runtime, caplog):
    from webui.unit import runtime as current_runtime

    def failing():  # a view whose statement fails with a summary among its parameters
        with current_runtime().command() as s:
            s.execute(text("INSERT INTO situations (id, summary) VALUES (:id, :summary)"),
                      {"id": 1, "summary": MARKER})
        return "unreachable"

    app.add_url_rule("/_failing", "failing", failing)
    app.testing = False  # log the error as production does, instead of raising it
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.DEBUG):
        response = app.test_client().get("/_failing")
    assert response.status_code == 500
    assert "Exception on /_failing" in caplog.text and "IntegrityError" in caplog.text
    assert MARKER not in caplog.text


@pytest.fixture
def restore_umask():
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_dir_is_0700_and_its_files_0600(tmp_path, restore_umask):
    data = tmp_path / "made" / "data"
    settings = compose({"HUBTABLE_DATA_DIR": str(data)}).settings
    assert _mode(data) == 0o700  # made by hubtable
    for name in ("identity.key", "secret.key"):
        assert _mode(data / name) == 0o600
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    assert _mode(data / "hubtable.db") == 0o600
    logs = data / "logs"
    logs.mkdir()
    (logs / "web.log").write_text("x")
    assert _mode(logs) == 0o700 and _mode(logs / "web.log") == 0o600


def test_only_what_hubtable_owns_is_tightened(tmp_path, restore_umask):
    """An operator's folder and the files hubtable did not make keep their modes: every
    command used to chmod the whole tree (a `run.sh` lost its execute bit; $HOME as the data
    dir would have been locked). Its own keys and databases are still made private."""
    os.umask(0o022)
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    script = data / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (data / "notes").mkdir(mode=0o755)
    for name in ("identity.key", "hubtable.db", "keystore.db"):
        (data / name).write_text("k" if name.endswith(".key") else "")
        (data / name).chmod(0o644)
    compose({"HUBTABLE_DATA_DIR": str(data)})
    assert _mode(data) == 0o755 and _mode(data / "notes") == 0o755
    assert _mode(script) == 0o755
    for name in ("identity.key", "hubtable.db", "keystore.db", "secret.key"):
        assert _mode(data / name) == 0o600, name

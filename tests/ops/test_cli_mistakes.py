"""An operator's mistakes at the command line: each is one specific line on stderr and a
non-zero exit, never a traceback; and what is no mistake (a read-only data dir, an operator's
own files in it, one unreadable kept message) does not fail a command."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from support.cli import Run, run_in_process
from support.notify import free_port

from workflow import kept_mail

ROOT = Path(__file__).resolve().parents[2]
CANARY = f"CliCanary{uuid.uuid4().hex[:8]}"
BACKENDS = [b for b in os.environ.get("HUBTABLE_TEST_BACKENDS", "sqlite,postgresql").split(",")
            if b]


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBTABLE_", "PREFECT_"))}
    env.update(extra)
    return env


def subprocess_run(env: dict[str, str], *args: str, stdin: int | None = subprocess.DEVNULL,
                   prefix: tuple[str, ...] = ()) -> Run:
    done = subprocess.run([*prefix, sys.executable, "-m", "hubtable.cli", *args],
                          env=_clean_env(env), cwd=ROOT, stdin=stdin, capture_output=True,
                          text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def hubtable(monkeypatch, capsys):
    """`hubtable ARGS` in-process through the console script's entry point."""

    def run(env: dict[str, str], *args: str) -> Run:
        for name in list(os.environ):
            if name.startswith(("HUBTABLE_", "PREFECT_")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return run_in_process(monkeypatch, capsys, *args)

    return run


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """One data dir with `init` and `demo --situations 30` done (SQLite, development keys)."""
    data = tmp_path_factory.mktemp("installed") / "data"
    env = {"HUBTABLE_DATA_DIR": str(data)}
    assert subprocess_run(env, "init").code == 0
    demo = subprocess_run(env, "demo", "--situations", "30", "--canary", CANARY)
    assert demo.code == 0, demo.err
    return data


@pytest.fixture
def data(installed, tmp_path) -> Path:
    """A copy of the installed data dir, this test's to change."""
    copy = tmp_path / "data"
    shutil.copytree(installed, copy, symlinks=True)
    return copy


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {"HUBTABLE_DATA_DIR": str(data), **extra}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- 1. the data dir: only what hubtable owns is tightened, and a chmod never fails a command


def test_a_command_leaves_the_operators_files_in_the_data_dir_alone(data, hubtable):
    script = data / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    data.chmod(0o750)
    assert hubtable(_env(data), "audit", "verify").code == 0
    assert _mode(script) == 0o755
    assert _mode(data) == 0o750


def test_a_chmod_that_fails_does_not_fail_the_command(data, hubtable, monkeypatch):
    (data / "identity.key").chmod(0o644)  # loose: hubtable would tighten it, and cannot

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "chmod", read_only)
    monkeypatch.setattr(Path, "chmod", read_only)
    for args in (["audit", "verify"], ["purge", "--dry-run"], ["mail", "list"]):
        result = hubtable(_env(data), *args)
        assert result.code == 0, result.err


def _read_only_mount_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(["unshare", "-rm", "sh", "-c", 'mount --bind -o ro "$0" "$0" && '
                                '! touch "$0/x" 2>/dev/null', folder],
                               capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(not _read_only_mount_works(), reason="no user+mount namespaces here")
def test_read_only_commands_work_on_a_read_only_data_dir(data):
    mount = ("unshare", "-rm", "sh", "-c", f'mount --bind -o ro "{data}" "{data}" && exec "$@"',
             "sh")
    for args in (["audit", "verify"], ["report", "--format", "csv"], ["mail", "list"],
                 ["purge", "--dry-run"]):
        result = subprocess_run(_env(data), *args, prefix=mount)
        assert result.code == 0, (args, result.err)
        assert "Read-only" not in result.err and "Errno" not in result.err
    status = subprocess_run(_env(data), "status", prefix=mount)
    assert "Read-only" not in status.err and "Traceback" not in status.err
    assert "deliveries" in status.out


# -- 2. database URLs


@pytest.mark.parametrize("variable", ["HUBTABLE_DATABASE_URL", "HUBTABLE_KEYSTORE_URL"])
@pytest.mark.parametrize("url", [
    "notaurl", "http://x", "mysql://u@h/db", "oracle://x",
    "postgresql+asyncpg://postgres@127.0.0.1/x", "postgresql://postgres@127.0.0.1:abc/x",
    "postgresql://someone:s3cret-pw@127.0.0.1:abc/x", "sqlite:///", "sqlite://",
    "sqlite:///:memory:"])
def test_a_database_url_that_cannot_serve_is_one_line_naming_its_variable(
        tmp_path, hubtable, variable, url):
    line = hubtable(_env(tmp_path / "data", **{variable: url}), "init").one_error_line()
    assert line.startswith(f"error: {variable}: ")
    assert "s3cret-pw" not in line
    if url.startswith("sqlite"):
        assert "in-memory" in line
    elif "abc" in url or url == "notaurl":
        assert "cannot parse" in line and "sqlite:///PATH or postgresql://USER@HOST/DB" in line


# -- 3. a database not initialised, or behind


UNINITIALISED = "error: database not initialised or not up to date: run hubtable init"
NEEDS_SCHEMA = [["audit", "verify"], ["sweep"], ["report", "--format", "csv"],
                ["purge", "--dry-run"], ["notifications", "dispatch"], ["status"],
                ["users", "add", "--email", "a@x.org", "--role", "admin", "--password",
                 "long-enough-pass"]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_commands_on_an_empty_database_say_run_init(backend, tmp_path, hubtable, request):
    env = _env(tmp_path / "data", HUBTABLE_IDENTITY_KEY="k", HUBTABLE_SECRET_KEY="s")
    if backend == "postgresql":
        env["HUBTABLE_DATABASE_URL"] = request.getfixturevalue("plain_url")
    for args in NEEDS_SCHEMA:
        assert hubtable(env, *args).one_error_line() == UNINITIALISED, args


def test_a_database_one_migration_behind_says_run_init(data, hubtable):
    from alembic import command
    from sqlalchemy import create_engine

    from workflow.setup import alembic_config

    url = f"sqlite:///{data / 'hubtable.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:  # the last migration undone, as an older version left it
        cfg = alembic_config(url)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "-1")
    engine.dispose()
    for args in (["report", "--format", "json"], ["rules", "explain", "1"], ["sweep"]):
        assert hubtable(_env(data), *args).one_error_line() == UNINITIALISED
    assert hubtable(_env(data), "init").code == 0
    assert hubtable(_env(data), "rules", "explain", "1").code == 0


def test_a_missing_column_the_revision_check_cannot_see_still_says_run_init(data, hubtable):
    with sqlite3.connect(data / "hubtable.db") as db:  # no Alembic table to ask
        db.execute("DROP TABLE alembic_version")
        db.execute("ALTER TABLE rule_firings DROP COLUMN explanation")
    assert hubtable(_env(data), "rules", "explain", "1").one_error_line() == UNINITIALISED


# -- 4. and 13. report output


def test_xlsx_to_a_missing_folder_is_one_line_and_nothing_else(data):
    result = subprocess_run(_env(data), "report", "--format", "xlsx", "-o",
                            "/nonexistent/x.xlsx")
    line = result.one_error_line()
    assert "--output" in line and "/nonexistent" in line
    assert "Exception ignored" not in result.err


def test_dash_as_output_means_stdout(data, hubtable, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = hubtable(_env(data), "report", "--format", "csv", "-o", "-")
    assert result.code == 0, result.err
    assert result.out.startswith("section,figure")
    assert not (tmp_path / "-").exists()


# -- 5. numbers out of range, digits that are not ASCII


@pytest.mark.parametrize("ref", ["99999999999999999999999", "²", "١"])
def test_rules_explain_takes_ascii_ids_in_range_only(data, hubtable, ref):
    assert hubtable(_env(data), "rules", "explain", ref).one_error_line() == \
        f"error: no situation {ref}"


@pytest.mark.parametrize("args", [
    ["notifications", "retry", "--id", "99999999999999999999999"],
    ["mail", "show", "99999999999999999999999"],
    ["demo", "--situations", "99999999999999999999999"],
])
def test_a_number_beyond_its_bound_is_the_options_mistake(data, hubtable, args):
    line = hubtable(_env(data), *args).one_error_line()
    assert "99999999999999999999999 is not in the range" in line


# -- 6. audit entries edited into what their column cannot hold


@pytest.mark.parametrize("edit", ["detail = 'not json'", "at = 'garbage'"])
def test_an_undecodable_audit_entry_is_reported_as_tampered(data, hubtable, edit):
    with sqlite3.connect(data / "hubtable.db") as db:
        db.execute(f"UPDATE audit_entries SET {edit} WHERE id = 5")  # noqa: S608
    result = hubtable(_env(data), "audit", "verify")
    assert result.code != 0 and "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert lines[-1].startswith("error: audit log verification failed: 1 problem(s)")
    assert lines[0].startswith("tampered: ") and "entry was altered" in lines[0]


# -- 7. a reversed period


def test_audit_refusals_refuses_a_reversed_period(data, hubtable):
    line = hubtable(_env(data), "audit", "refusals", "--from", "2026-06-01", "--to",
                    "2026-01-01").one_error_line()
    assert "--from" in line and "before the 'to' date" in line


# -- 9. users add


def test_users_add_without_a_terminal_needs_password(data):
    line = subprocess_run(_env(data), "users", "add", "--email", "a@x.org", "--role",
                          "admin").one_error_line()
    assert line == "error: --password is required when stdin is not a terminal"


def test_a_core_field_is_named_as_the_option(data, hubtable):
    line = hubtable(_env(data), "users", "add", "--email", "a@x.org", "--role", "chair",
                    "--password", "long-enough-pass").one_error_line()
    assert line.endswith("(--agency)")


# -- 10. a dispatch pass whose SMTP server is down


def test_a_pass_with_the_smtp_server_down_is_one_line_per_cause(data, hubtable, caplog):
    port = free_port()  # nothing listens there
    with caplog.at_level(logging.DEBUG):
        result = hubtable(_env(data, HUBTABLE_SMTP_URL=f"smtp://127.0.0.1:{port}"),
                          "notifications", "dispatch")
    line = result.one_error_line()
    assert line.startswith("error: failed ") and f"127.0.0.1:{port}" in line
    failed = int(result.out.split(" failed ")[1].split()[0])
    assert failed > 1 and line.startswith(f"error: failed {failed}: ")
    logged = caplog.text
    assert "@demo.hubtable.test" not in logged and CANARY not in logged
    assert "@" not in "".join(r.getMessage() for r in caplog.records
                              if r.name == "hubtable.notifications")


def test_a_refusal_quoting_an_address_is_logged_without_it():
    from notifications.channels import ChannelError
    from notifications.dispatch import _cause

    cause = _cause("email", ChannelError("SMTP refused the recipient: 550 <bob@x.org> unknown"))
    assert "bob@x.org" not in cause and cause.startswith("email: SMTP refused the recipient")
    assert _cause("email", KeyError("a situation's summary")) == "email: KeyError"


# -- 11. an invalid PREFECT_API_URL


def test_an_invalid_prefect_url_is_said_to_be_invalid(data, hubtable):
    result = hubtable(_env(data, PREFECT_API_URL="notaurl"), "status")
    assert result.code != 0
    prefect = [ln for ln in result.out.splitlines() if ln.startswith("prefect")]
    assert prefect == ["prefect  notaurl  NOT OK: PREFECT_API_URL is not a valid URL "
                       "(expected http://HOST:PORT/api)"]


# -- 12. usage mistakes


@pytest.mark.parametrize("args,expected", [
    (["rules"], "error: hubtable rules: missing command (choose: check, explain; see "
                "hubtable rules --help)"),
    (["audit"], "error: hubtable audit: missing command (choose: refusals, verify; see "
                "hubtable audit --help)"),
    (["nope"], None),
    (["report"], "error: hubtable report: missing option --format (choose: csv, json, xlsx)"),
    (["report", "--format", "pdf"], "error: --format: 'pdf' is not one of csv, json, xlsx"),
    (["users", "add", "--email", "a@x.org", "--role", "boss"],
     "error: --role: 'boss' is not one of agency_rep, chair, manager, admin"),
    (["report", "--format", "csv", "--bogus"], None),
    (["rules", "explain"], "error: hubtable rules explain: missing argument REF"),
])
def test_a_usage_mistake_is_one_line(tmp_path, hubtable, args, expected):
    result = hubtable(_env(tmp_path / "data"), *args)
    line = result.one_error_line()
    assert result.code == 2
    if expected is not None:
        assert line == expected


def test_hubtable_alone_prints_its_help_and_help_is_unchanged(tmp_path, hubtable):
    alone = hubtable(_env(tmp_path / "data"))
    assert alone.code == 0 and alone.out.startswith("Usage: hubtable") and not alone.err
    helped = hubtable(_env(tmp_path / "data"), "rules", "--help")
    assert helped.code == 0 and helped.out.startswith("Usage: hubtable rules")
    assert "Commands:" in helped.out


# -- 14. kept mail that cannot be read


def _keep(data: Path, name: str, raw: bytes) -> None:
    folder = kept_mail.mail_dir(data)
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(raw)


def test_a_kept_message_in_an_unknown_charset_is_shown(data, hubtable):
    _keep(data, "1700000000000000000-a.eml",
          b"From: a@x.test\r\nTo: b@y.test\r\nSubject: odd\r\n"
          b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello \xe9\r\n")
    result = hubtable(_env(data), "mail", "show", "1")
    assert result.code == 0, result.err
    assert "hello" in result.out and "Subject: odd" in result.out


def test_one_unreadable_kept_message_does_not_hide_the_others(data, hubtable, monkeypatch):
    for n in (1, 2, 3):
        _keep(data, f"170000000000000000{n}-m.eml",
              f"From: a@x.test\r\nTo: b@y.test\r\nSubject: number {n}\r\n\r\nx\r\n".encode())
    parse = kept_mail._parse

    def flaky(path: Path):
        if path.name.startswith("1700000000000000002"):
            raise OSError(errno.EOVERFLOW, os.strerror(errno.EOVERFLOW))
        return parse(path)

    monkeypatch.setattr(kept_mail, "_parse", flaky)
    listed = hubtable(_env(data), "mail", "list")
    assert listed.code == 0, listed.err
    assert "number 1" in listed.out and "number 3" in listed.out
    assert "unreadable" in listed.out
    shown = hubtable(_env(data), "mail", "show", "2").one_error_line()
    assert "message 2" in shown and "cannot be read" in shown


# -- 15. a lost identity key or key store is never silently replaced


def test_a_lost_identity_key_is_not_regenerated_over_sealed_identities(data, hubtable):
    (data / "identity.key").unlink()
    line = hubtable(_env(data), "audit", "verify").one_error_line()
    assert str(data / "identity.key") in line and "HUBTABLE_IDENTITY_KEY" in line
    assert "unreadable" in line
    assert not (data / "identity.key").exists()


def test_a_lost_key_store_is_not_regenerated_over_sealed_identities(data, hubtable):
    (data / "keystore.db").unlink()
    for args in (["audit", "verify"], ["report", "--format", "csv"]):
        line = hubtable(_env(data), *args).one_error_line()
        assert str(data / "keystore.db") in line and "HUBTABLE_KEYSTORE_URL" in line
        assert "unreadable" in line
    assert not (data / "keystore.db").exists()


# -- 16. the data dir


def test_a_data_dir_that_is_a_file_names_the_variable(tmp_path, hubtable):
    path = tmp_path / "file"
    path.write_text("")
    line = hubtable(_env(path), "status").one_error_line()
    assert line == f"error: HUBTABLE_DATA_DIR: {path} exists and is not a directory"

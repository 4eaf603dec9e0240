"""Settings from the environment, in one place, so every adapter agrees on them."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# The design card's PostgreSQL driver. Operators write the plain URL; older spellings that name
# a driver (psycopg 3, or the `postgres` alias SQLAlchemy 2 dropped) mean the same server.
PG_DRIVER = "psycopg2"
PG_PACKAGE = "psycopg2-binary"
_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg")
_SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
EXPECTED_URL = "expected sqlite:///PATH or postgresql://USER@HOST/DB"


class SettingsError(ValueError):
    """A setting an operator must fix; its message is the one line the CLI prints."""


def normalise_database_url(url: str) -> str:
    """`postgresql://user@host/db` (and +psycopg2, +psycopg, postgres://) through psycopg2;
    any other URL unchanged."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in _PG_SCHEMES:
        return f"postgresql+{PG_DRIVER}://{rest}"
    return url


def redact_url(url: str) -> str:
    """A URL as an error may show it: the password (between `user:` and `@`) as ***."""
    return re.sub(r"(://[^:/@]*:).*@", r"\1***@", url)


def require_driver(url: str, variable: str = "HUBTABLE_DATABASE_URL") -> str:
    """Fail with one line, not a traceback at the first query, when the driver is missing."""
    if url.startswith("postgresql+") and importlib.util.find_spec(PG_DRIVER) is None:
        raise SettingsError(
            f"{variable} is a PostgreSQL URL but its driver is not installed: "
            f"pip install {PG_PACKAGE}")
    return url


def check_database_url(url: str, variable: str, written: str | None = None) -> URL:
    """A database hubtable can keep its data in, or one line naming `variable`: SQLite in a
    file, or PostgreSQL through psycopg2. The value is shown as `written` (what the operator
    wrote, before normalise_database_url), its password hidden."""
    shown = redact_url(url if written is None else written)
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ArgumentError, ValueError):
        raise SettingsError(f"{variable}: cannot parse {shown!r} ({EXPECTED_URL})") from None
    if parsed.drivername in _SQLITE_SCHEMES:
        if (not parsed.database or parsed.database == ":memory:"
                or parsed.query.get("mode") == "memory"):
            raise SettingsError(f"{variable}: {shown!r} is an in-memory database, which keeps "
                                "nothing: give a file, sqlite:///PATH")
    elif parsed.drivername == f"postgresql+{PG_DRIVER}":
        if port is not None and not 1 <= port <= 65535:
            raise SettingsError(f"{variable}: port {port} in {shown!r} is not 1 to 65535")
    else:
        raise SettingsError(f"{variable}: {shown!r} is not a database hubtable supports "
                            f"({EXPECTED_URL})")
    return parsed


def _database_url(value: str | None, default: str, variable: str) -> str:
    written = (value or "").strip() or default
    url = normalise_database_url(written)
    parsed = check_database_url(url, variable, written)
    return require_driver(_on_read_only_media(parsed) or url, variable)


def _on_read_only_media(parsed: URL) -> str | None:
    """A SQLite file on a read-only filesystem (a snapshot, a read-only mount), opened as
    such: SQLite would otherwise fail to make the WAL's index beside it, and no command could
    even read it. Nothing can change the file there, so it is opened `immutable`; a WAL with
    pages not yet in the file is left to SQLite, which reads those only when it may."""
    if parsed.drivername not in _SQLITE_SCHEMES or parsed.query or not parsed.database:
        return None
    path = Path(parsed.database)
    try:
        if not path.is_file() or not os.statvfs(path).f_flag & os.ST_RDONLY:
            return None
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size:
            return None
    except OSError:
        return None
    return f"sqlite:///file:{path.resolve()}?mode=ro&immutable=1&uri=true"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    keystore_url: str
    identity_key: str
    secret_key: str
    smtp_url: str
    mail_from: str
    base_url: str
    prefect_api_url: str | None
    # Networks webhooks may reach although internal (e.g. "127.0.0.1/32" for tests); plain
    # http is allowed to these only. Empty: https to public addresses only.
    webhook_allow: str = ""


def _dev_secret(data_dir: Path, name: str, warn: str) -> str:
    """Generate a secret once into the data dir: fine for a laptop, never for production."""
    path = data_dir / name
    if path.exists():
        tighten(path)
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    tighten(path)
    print(f"warning: {warn} not set; generated a development value in {path}", file=sys.stderr)
    return value


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def tighten(path: Path) -> None:
    """Make one file hubtable owns (a key, a database) readable by its owner only, if it is
    not already; a failure (a read-only mount, someone else's file) changes nothing else."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        private = PRIVATE_DIR if path.is_dir() else PRIVATE_FILE
        if mode & 0o077:
            path.chmod(mode & private)
    except OSError:
        pass


def secure_data_dir(data_dir: Path) -> None:
    """The data dir holds the databases, keys and logs: only its owner may read what hubtable
    puts there.

    The process umask becomes 077, so every file made from now on (SQLite databases and their
    WAL, logs, Prefect's database, in this process and its children) is 0600 and every folder
    0700. The data dir is made 0700 when hubtable creates it; one that exists is left as the
    operator made it, and nothing else in it is touched here (see `tighten` for hubtable's
    own keys and databases).
    """
    os.umask(0o077)
    if data_dir.is_dir():
        return
    if data_dir.exists() or data_dir.is_symlink():
        raise SettingsError(f"HUBTABLE_DATA_DIR: {data_dir} exists and is not a directory")
    try:
        data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"HUBTABLE_DATA_DIR: cannot create {data_dir}: "
                            f"{exc.strerror or exc}") from None


def _sqlite_files(url: str) -> list[Path]:
    parsed = make_url(url)
    if parsed.drivername not in _SQLITE_SCHEMES or not parsed.database or parsed.query:
        return []
    path = Path(parsed.database)
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _identity_key(env: dict[str, str], data_dir: Path, database_url: str) -> str:
    """HUBTABLE_IDENTITY_KEY, else the development key in the data dir; a new one is made only
    while no identity is sealed in the database (a new key could never open those)."""
    if env.get("HUBTABLE_IDENTITY_KEY"):
        return env["HUBTABLE_IDENTITY_KEY"]
    path = data_dir / "identity.key"
    if not path.exists():
        from sqlalchemy.exc import DBAPIError

        from workflow.runtime import holds_sealed_identities

        try:
            sealed = holds_sealed_identities(database_url)
        except DBAPIError as exc:
            reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
            raise SettingsError(
                f"HUBTABLE_IDENTITY_KEY is not set and {path} does not exist; a new key is "
                "made only when the database can say that it holds no sealed identity, and it "
                f"cannot be reached: {reason}") from None
        if sealed:
            raise SettingsError(
                f"the identity key is missing: HUBTABLE_IDENTITY_KEY is not set and {path} "
                "does not exist, but the database holds sealed identities that a new key "
                "would make unreadable: restore that file, or set HUBTABLE_IDENTITY_KEY")
    return _dev_secret(data_dir, "identity.key", "HUBTABLE_IDENTITY_KEY")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("HUBTABLE_DATA_DIR") or Path.cwd() / "hubtable-data").resolve()
    secure_data_dir(data_dir)
    database_url = _database_url(env.get("HUBTABLE_DATABASE_URL"),
                                 f"sqlite:///{data_dir / 'hubtable.db'}", "HUBTABLE_DATABASE_URL")
    keystore_url = _database_url(env.get("HUBTABLE_KEYSTORE_URL"),
                                 f"sqlite:///{data_dir / 'keystore.db'}", "HUBTABLE_KEYSTORE_URL")
    for path in _sqlite_files(database_url) + _sqlite_files(keystore_url):
        if path.exists():
            tighten(path)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        keystore_url=keystore_url,
        identity_key=_identity_key(env, data_dir, database_url),
        secret_key=env.get("HUBTABLE_SECRET_KEY")
        or _dev_secret(data_dir, "secret.key", "HUBTABLE_SECRET_KEY"),
        smtp_url=env.get("HUBTABLE_SMTP_URL") or "smtp://127.0.0.1:8025",
        mail_from=env.get("HUBTABLE_MAIL_FROM") or "hubtable@localhost",
        base_url=(env.get("HUBTABLE_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
        prefect_api_url=env.get("PREFECT_API_URL") or None,
        webhook_allow=env.get("HUBTABLE_WEBHOOK_ALLOW", ""),
    )

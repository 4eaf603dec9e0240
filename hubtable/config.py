"""Settings from the environment, in one place, so every adapter agrees on them."""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

# The design card's PostgreSQL driver. Operators write the plain URL; older spellings that name
# a driver (psycopg 3, or the `postgres` alias SQLAlchemy 2 dropped) mean the same server.
PG_DRIVER = "psycopg2"
PG_PACKAGE = "psycopg2-binary"
_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg")


class SettingsError(ValueError):
    """A setting an operator must fix; its message is the one line the CLI prints."""


def normalise_database_url(url: str) -> str:
    """`postgresql://user@host/db` (and +psycopg2, +psycopg, postgres://) through psycopg2;
    any other URL unchanged."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in _PG_SCHEMES:
        return f"postgresql+{PG_DRIVER}://{rest}"
    return url


def require_driver(url: str, variable: str = "HUBTABLE_DATABASE_URL") -> str:
    """Fail with one line, not a traceback at the first query, when the driver is missing."""
    if url.startswith("postgresql+") and importlib.util.find_spec(PG_DRIVER) is None:
        raise SettingsError(
            f"{variable} is a PostgreSQL URL but its driver is not installed: "
            f"pip install {PG_PACKAGE}")
    return url


def _database_url(value: str | None, default: str, variable: str) -> str:
    return require_driver(normalise_database_url(value or default), variable)


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
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    print(f"warning: {warn} not set; generated a development value in {path}", file=sys.stderr)
    return value


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def secure_data_dir(data_dir: Path) -> None:
    """The data dir holds the databases, keys and logs: only its owner may read them.

    The process umask becomes 077, so every file made from now on (SQLite databases and their
    WAL, logs, Prefect's database, in this process and its children) is 0600 and every folder
    0700; what an older version left readable is tightened once here.
    """
    os.umask(0o077)
    data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    data_dir.chmod(PRIVATE_DIR)
    for path in data_dir.rglob("*"):
        if path.is_symlink():
            continue
        try:
            path.chmod(PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)
        except OSError:  # not ours (e.g. a shared mount): leave it to the operator
            continue


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("HUBTABLE_DATA_DIR") or Path.cwd() / "hubtable-data").resolve()
    secure_data_dir(data_dir)
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(env.get("HUBTABLE_DATABASE_URL"),
                                   f"sqlite:///{data_dir / 'hubtable.db'}",
                                   "HUBTABLE_DATABASE_URL"),
        keystore_url=_database_url(env.get("HUBTABLE_KEYSTORE_URL"),
                                   f"sqlite:///{data_dir / 'keystore.db'}",
                                   "HUBTABLE_KEYSTORE_URL"),
        identity_key=env.get("HUBTABLE_IDENTITY_KEY")
        or _dev_secret(data_dir, "identity.key", "HUBTABLE_IDENTITY_KEY"),
        secret_key=env.get("HUBTABLE_SECRET_KEY")
        or _dev_secret(data_dir, "secret.key", "HUBTABLE_SECRET_KEY"),
        smtp_url=env.get("HUBTABLE_SMTP_URL") or "smtp://127.0.0.1:8025",
        mail_from=env.get("HUBTABLE_MAIL_FROM") or "hubtable@localhost",
        base_url=(env.get("HUBTABLE_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
        prefect_api_url=env.get("PREFECT_API_URL") or None,
        webhook_allow=env.get("HUBTABLE_WEBHOOK_ALLOW", ""),
    )

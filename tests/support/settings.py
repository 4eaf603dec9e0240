"""Settings as the composition root would build them, for an app or a dispatcher in a test."""

from __future__ import annotations

from hubtable.config import Settings


def make_settings(runtime, tmp_path, base_url: str = "http://127.0.0.1:8000", *,
                  smtp_url: str = "smtp://127.0.0.1:1", webhook_allow: str = "") -> Settings:
    return Settings(data_dir=tmp_path, database_url=runtime.database_url,
                    keystore_url=runtime.keystore_url, identity_key=runtime.identity_key,
                    secret_key="test-secret-key-for-web-tests", smtp_url=smtp_url,
                    mail_from="test@localhost", base_url=base_url, prefect_api_url=None,
                    webhook_allow=webhook_allow)

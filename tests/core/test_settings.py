"""Settings come from MITRAKIA_* variables; a bad one stops start-up with one line naming it."""

from __future__ import annotations

import pytest

from core.errors import SettingsError
from core.settings import Settings

SECRET = "s" * 40


def test_defaults_need_only_a_secret():
    settings = Settings.from_environ({"MITRAKIA_SECRET_KEY": SECRET})
    assert settings.database_url == "sqlite:///var/mitrakia.sqlite3"
    assert settings.redis_url is None
    assert settings.timezone == "Asia/Jakarta"
    assert settings.language == "id"
    assert not settings.is_postgres


def test_postgres_and_redis_are_chosen_by_their_urls_alone():
    settings = Settings.from_environ(
        {
            "MITRAKIA_SECRET_KEY": SECRET,
            "MITRAKIA_DATABASE_URL": "postgresql://kia@db.internal:5432/mitrakia",
            "MITRAKIA_REDIS_URL": "redis://cache.internal:6379/0",
        }
    )
    assert settings.is_postgres
    assert settings.redis_url == "redis://cache.internal:6379/0"


def test_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    settings = Settings.from_environ({"MITRAKIA_SECRET_KEY_FILE": str(secret_file)})
    assert settings.secret_key == SECRET


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MITRAKIA_SECRET_KEY", None),
        ("MITRAKIA_SECRET_KEY", "short"),
        ("MITRAKIA_DATABASE_URL", "mysql://root@localhost/kia"),
        ("MITRAKIA_REDIS_URL", "http://localhost:6379"),
        ("MITRAKIA_TIMEZONE", "Asia/Bengkulu"),
        ("MITRAKIA_LANGUAGE", "fr"),
        ("MITRAKIA_ACCESS_TOKEN_TTL", "fifteen minutes"),
        ("MITRAKIA_PORT", "0"),
        ("MITRAKIA_PUBLIC_BASE_URL", "kia.bengkulukota.go.id"),
        ("MITRAKIA_DEBUG", "maybe"),
        ("MITRAKIA_SECRET_KEY_FILE", "/nonexistent/secret"),
    ],
)
def test_a_bad_setting_is_named_in_one_line(variable, value):
    environ = {"MITRAKIA_SECRET_KEY": SECRET}
    if variable == "MITRAKIA_SECRET_KEY_FILE":
        environ = {variable: value}
    elif value is None:
        environ.pop(variable)
    else:
        environ[variable] = value
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(environ)
    message = str(caught.value)
    assert message.startswith(variable + ":")
    assert "\n" not in message
    assert SECRET not in message

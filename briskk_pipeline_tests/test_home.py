"""The state folder and the note `briskk` prints when the catalog is not the default one."""

from __future__ import annotations

import pytest

from briskk_pipeline import home


@pytest.fixture
def clean(monkeypatch, tmp_path):
    for name in ("BRISKK_HOME", "DATABASE_URL", "DAGSTER_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


def test_default_is_the_user_data_folder_not_the_current_one(clean, tmp_path):
    clean.chdir(tmp_path)
    assert home.briskk_home() == tmp_path / ".local" / "share" / "briskk"
    clean.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert home.briskk_home() == tmp_path / "data" / "briskk"


def test_briskk_home_wins_and_is_absolute(clean, tmp_path):
    clean.chdir(tmp_path)
    clean.setenv("BRISKK_HOME", "state")
    assert home.briskk_home() == tmp_path / "state"


@pytest.mark.parametrize(
    ("env", "note"),
    [
        ({}, None),
        ({"BRISKK_HOME": "{default}"}, None),
        ({"BRISKK_HOME": "/srv/briskk"}, "catalog and state in /srv/briskk (BRISKK_HOME)"),
        (
            {"DATABASE_URL": "postgresql://app:s3cret@db.internal:5432/catalog"},
            "catalog postgresql://app:***@db.internal:5432/catalog",
        ),
        (
            {"DATABASE_URL": "postgresql://db/catalog", "BRISKK_HOME": "/srv/briskk"},
            "catalog postgresql://db/catalog; state in /srv/briskk (BRISKK_HOME)",
        ),
    ],
    ids=["defaults", "home-is-default", "home", "url-password-hidden", "url-and-home"],
)
def test_state_note(clean, env, note):
    for name, value in env.items():
        clean.setenv(name, value.replace("{default}", str(home.default_briskk_home())))
    assert home.state_note() == note


def test_dagster_home_is_created_with_the_local_settings(clean, tmp_path):
    clean.setenv("BRISKK_HOME", str(tmp_path / "state"))
    created = home.ensure_dagster_home()
    assert created == tmp_path / "state" / "dagster"
    assert (created / "dagster.yaml").read_text() == home.LOCAL_INSTANCE_YAML
    # an instance's own settings are never overwritten
    (created / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    clean.delenv("DAGSTER_HOME")
    assert home.ensure_dagster_home() == created
    assert "enabled: true" in (created / "dagster.yaml").read_text()

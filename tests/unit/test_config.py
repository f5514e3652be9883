"""flask_broadcasts.config: every ``BROADCASTS_*`` key, its default, read once at ``init_app``.

A host relies on: a key it set never overwritten by a default, every other key present in
``app.config`` after ``init_app`` (so ``app.config["BROADCASTS_BATCH_SIZE"]`` reads the value in
use), ``BROADCASTS_REDIS_URL`` falling back to its own ``REDIS_URL``, and every key documented.
"""

from __future__ import annotations

import dataclasses

from flask_broadcasts.config import PREFIX, SETTINGS, Settings, apply_defaults


def test_defaults_fill_only_the_keys_the_host_did_not_set():
    config = {"BROADCASTS_BATCH_SIZE": 50, "BROADCASTS_QUEUE": None}
    apply_defaults(config)
    assert config["BROADCASTS_BATCH_SIZE"] == 50
    assert config["BROADCASTS_QUEUE"] is None  # set, even to None: the host's
    assert config["BROADCASTS_URL_PREFIX"] == "/api"
    assert {item.key for item in SETTINGS} <= config.keys()


def test_settings_are_read_from_the_config_and_redis_falls_back_to_the_hosts_redis_url():
    config = {"BROADCASTS_BATCH_SIZE": 7, "REDIS_URL": "redis://host-redis/0"}
    apply_defaults(config)
    settings = Settings.from_config(config)
    assert (settings.batch_size, settings.url_prefix, settings.redis_url) == (7, "/api", "redis://host-redis/0")
    config["BROADCASTS_REDIS_URL"] = "redis://ours/3"
    assert Settings.from_config(config).redis_url == "redis://ours/3"


def test_every_field_is_a_documented_key_with_its_default():
    fields = dataclasses.fields(Settings)
    assert [item.key for item in SETTINGS] == [PREFIX + field.name.upper() for field in fields]
    assert all(item.doc.strip() for item in SETTINGS)
    defaults = Settings()
    assert all(getattr(defaults, field.name) == item.default for field, item in zip(fields, SETTINGS, strict=True))

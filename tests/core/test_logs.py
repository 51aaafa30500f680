"""No log line holds the secret of an address that is itself the key (netcourt.core.logs)."""

from __future__ import annotations

import io
import logging
import logging.config
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from netcourt.cli import _uvicorn_logging
from netcourt.core.logs import MaskSecrets, mask

SECRET = "kq3V0-Zt_9xYb2mR7LpN4wHs8Fe1JcUa6oGd5iTyQvE"
# Every address with a secret in its path, as its URL names it.
SECRET_ADDRESSES = {
    "service:open": [SECRET],
    "service:join": [SECRET],
    "hearings:subscribed-feed": [SECRET],
    "account_confirm_email": [SECRET],
    "account_reset_password_from_key": ["3f", SECRET],
}
SECRET_PARTS = {"token", "secret", "key"}


def _named_patterns(
    patterns: list[URLPattern | URLResolver], namespace: str = ""
) -> list[tuple[str, set[str]]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _named_patterns(pattern.url_patterns, inner)
        elif pattern.name:
            found.append((namespace + pattern.name, set(pattern.pattern.regex.groupindex)))
    return found


def test_every_address_with_a_secret_in_its_path_is_masked() -> None:
    with_secrets = {
        name for name, parts in _named_patterns(get_resolver().url_patterns) if parts & SECRET_PARTS
    }
    assert with_secrets == set(SECRET_ADDRESSES), "a new address with a secret: list it here"
    for name, args in SECRET_ADDRESSES.items():
        path = reverse(name, args=args)
        assert SECRET not in mask(f"Not Found: {path}"), path
        assert "…" in mask(path)


def test_other_paths_are_left_as_they_are() -> None:
    for line in ("Not Found: /cases/1d7c/", "Forbidden: /inbox/", "/hearings/calendar/"):
        assert mask(line) == line


def test_the_access_log_of_netcourt_serve_masks_the_secret() -> None:
    """``netcourt serve --access-log``: uvicorn's access lines, by its own formatter."""
    out = io.StringIO()
    config: dict[str, Any] = _uvicorn_logging()
    config["handlers"]["access"]["stream"] = out
    config["loggers"] = {"test.access": config["loggers"]["uvicorn.access"]}
    logging.config.dictConfig(config)
    path = reverse("service:open", args=[SECRET])
    logging.getLogger("test.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200
    )
    line = out.getvalue()
    assert '"GET /served/…/ HTTP/1.1" 200' in line and SECRET not in line


def test_a_record_keeps_its_arguments_shape() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%(what)s: %(path)s", None, None
    )
    record.args = {"what": "Not Found", "path": f"/served/{SECRET}/"}
    assert MaskSecrets().filter(record)
    assert record.getMessage() == "Not Found: /served/…/"

"""What the server's logs never hold: the secret of an address that is itself the key.

A served document's link (``/served/<secret>/``), a calendar address
(``/hearings/calendar/subscribed/<secret>/``) and allauth's e-mail confirmation and
password-reset links hold their secret in the path. Django writes a line with the path for
each request answered 4xx or 5xx, wherever the answer was made (a view, a method not allowed,
a refused CSRF token, an error), and ``netcourt serve --access-log`` one for each request:
`MaskSecrets`, on those loggers (settings.LOGGING, and the access log's handler in
``netcourt serve``), puts ``…`` in the secret's place before any handler sees the line.
"""

from __future__ import annotations

import logging
import re

SECRET_PATHS = re.compile(
    r"(/(?:served|hearings/calendar/subscribed|accounts/confirm-email"
    r"|accounts/password/reset/key)/)[^/\s?#\"']+"
)


def mask(text: str) -> str:
    """``text`` with the secret of every secret-bearing path in it replaced by ``…``."""
    return SECRET_PATHS.sub(r"\1…", text)


class MaskSecrets(logging.Filter):
    """Masks secret paths in a log record's message and in its arguments, keeping their
    shape (uvicorn's access formatter reads its five arguments by position)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: mask(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True

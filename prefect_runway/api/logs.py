"""Keeping signed URLs out of logs.

Output links are signed in their query string, which makes the whole URL a secret for 24-48
hours. httpx logs every request's full URL at INFO ("HTTP Request: GET https://...?_jwt=..."),
so importing ``runway`` installs a filter on the ``httpx`` logger that drops query strings from
URLs in its records. Our own log lines go through ``prefect_runway.api.media.redact_url``.
"""

from __future__ import annotations

import logging
import re

import httpx

from prefect_runway.api.media import redact_url

__all__ = ["RedactQueryStrings", "install"]

_URL_WITH_QUERY = re.compile(r"https?://[^\s\"'<>]*\?[^\s\"'<>]*")


class RedactQueryStrings(logging.Filter):
    """Rewrites a record's URLs without their query string; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self._clean(arg) for arg in args)
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _URL_WITH_QUERY.sub(lambda m: redact_url(m.group(0)), record.msg)
        return True

    @staticmethod
    def _clean(value: object) -> object:
        if isinstance(value, httpx.URL):
            return redact_url(str(value))
        if isinstance(value, str) and "?" in value:
            return _URL_WITH_QUERY.sub(lambda m: redact_url(m.group(0)), value)
        return value


def install() -> None:
    """Add the filter to httpx's and httpcore's loggers (idempotent)."""
    for name in ("httpx", "httpcore"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in target.filters):
            target.addFilter(RedactQueryStrings())

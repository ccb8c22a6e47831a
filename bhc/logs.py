"""Logging: text for a person at a terminal, or one JSON object per line for a log collector.

Every line of a web request carries its request id, and every webhook's line the carrier's
call sid. Phone numbers are masked wherever they appear in a message, whoever wrote it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from bhc.phones import mask

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_call_sid: ContextVar[str | None] = ContextVar("call_sid", default=None)
# A phone number in a message: + or 00 and 8 to 15 digits, or a Dutch 0 and 9 digits, not
# inside a longer word (a call sid is letters and digits).
_PHONE = re.compile(r"(?<![\w+*])(?:(?:\+|00)\d{8,15}|0\d{9})(?![\w*])")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


def begin_request(request_id: str, call_sid: str | None) -> None:
    _request_id.set(request_id)
    _call_sid.set(call_sid or None)


def end_request() -> None:
    _request_id.set(None)
    _call_sid.set(None)


def scrub(text: str) -> str:
    """The text with every phone number masked."""
    return _PHONE.sub(lambda found: mask(found.group()), text)


class _Context(logging.Filter):
    """Masks phone numbers in the message; adds the request id and call sid of the request
    being served (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        record.request_id = _request_id.get()
        record.call_sid = _call_sid.get()
        parts = [f"request={record.request_id}"] if record.request_id else []
        if record.call_sid:
            parts.append(f"call={record.call_sid}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatException(self, exc_info) -> str:
        return scrub(super().formatException(exc_info))


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id and call_sid where known, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "call_sid"):
            if getattr(record, key, None):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class _StandardError(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is written (a test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def unconfigure() -> None:
    """Take our handler off the root logger again (a test that ran the CLI in-process leaves
    none behind for the threads of later tests to print through)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StandardError)]:
        root.removeHandler(handler)


def configure(log_format: str = "text", verbose: bool = False) -> None:
    """Our handler on the root logger, to standard error, in the chosen format (replacing the
    one an earlier call installed; other handlers, such as a test runner's, stay)."""
    handler = _StandardError()
    handler.addFilter(_Context())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StandardError)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # APScheduler reports every skipped overlapping tick; the engine's own lock makes those benign.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # one line per header
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # a line per SVG style in a PDF

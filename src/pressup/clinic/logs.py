"""Structured logs: one JSON object per line on stderr (time, level, logger, process id,
message, and the ``extra`` fields a caller gave, e.g. ``request_id``, ``status``, ``ms``)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

#: The attributes every LogRecord has (anything else came from ``extra=``).
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                )
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


#: The loggers written as JSON lines (``uvicorn.access`` is not: see :func:`configure`).
LOGGERS = ("pressup", "uvicorn", "uvicorn.error")
#: uvicorn's request lines: dropped, each request is logged once, by the clinic's own JSON
#: request log (``pressup.clinic``, without the query string); ``serve`` also passes
#: ``access_log=False``.
ACCESS_LOGGER = "uvicorn.access"


def configure(level: str = "INFO") -> None:
    """Send the ``pressup`` and ``uvicorn`` loggers to stderr as JSON lines, and uvicorn's
    request lines nowhere (:data:`ACCESS_LOGGER`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    access = logging.getLogger(ACCESS_LOGGER)
    access.handlers = []
    access.propagate = False


#: The dictConfig uvicorn's workers load (``uvicorn.run(log_config=...)``): each worker
#: process configures its own loggers the same way.
def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    loggers: dict[str, Any] = {
        name: {"handlers": ["json"], "level": level.upper(), "propagate": False} for name in LOGGERS
    }
    loggers[ACCESS_LOGGER] = {"handlers": [], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "pressup.clinic.logs.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": loggers,
    }


__all__ = ["ACCESS_LOGGER", "LOGGERS", "JsonFormatter", "configure", "uvicorn_log_config"]

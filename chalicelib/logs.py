"""Structured logging (Powertools Logger), created on first use to keep cold starts short.

JSON lines are the default (CloudWatch, log queries); ``LOG_FORMAT=console`` renders the same
records as one readable line each, for ``make run``. Keys that belong to one request or one event
are appended with ``bind()`` and dropped with ``unbind()``: they are thread-local, because the
local runtime serves requests and consumers on threads of one process (Powertools' plain
``append_keys`` is process-wide and leaked a consumer's ``event_id`` into request lines).
"""

from __future__ import annotations

from functools import lru_cache

# Standard record keys the console line shows in its own layout rather than as key=value pairs.
_CONSOLE_SKIPPED = {"level", "location", "message", "timestamp", "service", "sampling_rate", "xray_trace_id"}


@lru_cache(maxsize=1)
def get_logger():
    from aws_lambda_powertools import Logger

    from chalicelib.settings import get_settings

    settings = get_settings()
    if settings.log_format == "console":
        formatter = _console_formatter()
    else:
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

        formatter = LambdaPowertoolsFormatter()
    logger = Logger(service="deskflow", level=settings.log_level, logger_formatter=formatter)
    # Powertools keeps the handler of the first Logger made for a service; make sure it formats our way.
    logger.registered_handler.setFormatter(formatter)
    return logger


def bind(**keys) -> None:
    """Add keys to every line this thread logs until ``unbind()``."""
    get_logger().thread_safe_append_keys(**keys)


def unbind() -> None:
    get_logger().thread_safe_clear_keys()


def _console_formatter():
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class ConsoleFormatter(LambdaPowertoolsFormatter):
        """``12:04:05 INFO  request POST /api/v1/tickets 201 12.3ms  workspace=demo user=u-1 ...``"""

        def serialize(self, log: dict) -> str:
            time_of_day = str(log.get("timestamp", ""))[11:19]
            head = f"{time_of_day} {str(log.get('level', '')):<5} {log.get('message', '')}"
            if "route" in log and "status" in log:
                head += f" {log['route']} {log['status']} {log.get('duration_ms', '?')}ms"
            shown = {"route", "status", "duration_ms"} if "route" in log and "status" in log else set()
            pairs = [
                f"{key}={value}"
                for key, value in log.items()
                if key not in _CONSOLE_SKIPPED
                and key not in shown
                and value not in (None, "")
                and key not in {"exception", "exception_name", "stack_trace"}
            ]
            text = head + ("  " + " ".join(pairs) if pairs else "")
            if log.get("exception"):
                text += "\n" + str(log["exception"])
            return text

    return ConsoleFormatter()

"""Structured JSON logging (Powertools Logger), created on first use to keep cold starts short."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def get_logger():
    from aws_lambda_powertools import Logger

    from chalicelib.settings import get_settings

    return Logger(service="deskflow", level=get_settings().log_level)

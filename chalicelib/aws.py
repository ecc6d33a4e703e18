"""AWS clients, created lazily and once, pointed at the configured endpoint.

``AWS_ENDPOINT_URL`` (via settings) sends every client to moto or LocalStack; unset, boto3 also
honours ``AWS_ENDPOINT_URL_<SERVICE>`` on its own.
"""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

from chalicelib.settings import get_settings

_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)


@cache
def client(service: str):
    settings = get_settings()
    return boto3.session.Session().client(
        service,
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=_CLIENT_CONFIG,
    )


def sqs():
    return client("sqs")


def s3():
    return client("s3")


def dynamodb():
    return client("dynamodb")


def stepfunctions():
    return client("stepfunctions")


def events():
    return client("events")


@cache
def queue_url(short_name: str) -> str:
    name = get_settings().queue_name(short_name)
    return sqs().get_queue_url(QueueName=name)["QueueUrl"]


def reset_clients() -> None:
    """Drop cached clients (tests switching endpoints or mocks call this)."""
    client.cache_clear()
    queue_url.cache_clear()

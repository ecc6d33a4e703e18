"""AWS clients, created lazily and once, pointed at the configured endpoint.

Each client goes where settings say for its service: ``AWS_ENDPOINT_URL_<SERVICE>`` (DynamoDB Local
for tables, say) wins over ``AWS_ENDPOINT_URL`` (moto or LocalStack for everything else).
"""

from __future__ import annotations

import threading
from functools import cache

import boto3
from botocore.config import Config

from chalicelib.settings import get_settings

_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)
# PynamoDB's own choice for its DynamoDB client: it validates requests itself.
_DYNAMODB_CONFIG = _CLIENT_CONFIG.merge(Config(parameter_validation=False))
# Presigned URLs: SigV4 binds Content-Type and Content-Length into the signature (the default SigV2 query
# auth does not); path-style keeps a local endpoint's URLs on the host the caller already reaches.
_S3_CONFIG = _CLIENT_CONFIG.merge(Config(signature_version="s3v4"))
_S3_LOCAL_CONFIG = _S3_CONFIG.merge(Config(s3={"addressing_style": "path"}))


def _config_for(service: str, endpoint_url: str | None) -> Config:
    if service == "dynamodb":
        return _DYNAMODB_CONFIG
    if service == "s3":
        return _S3_LOCAL_CONFIG if endpoint_url else _S3_CONFIG
    return _CLIENT_CONFIG


@cache
def _session():
    # One session for the process: it caches the service models, so creating clients again is cheap.
    return boto3.session.Session()


_CREATION_LOCK = threading.Lock()  # botocore sessions are not thread-safe while creating clients


@cache
def client(service: str):
    settings = get_settings()
    endpoint_url = settings.endpoint_for(service)
    with _CREATION_LOCK:
        return _session().client(
            service,
            region_name=settings.region,
            endpoint_url=endpoint_url,
            config=_config_for(service, endpoint_url),
        )


def sqs():
    return client("sqs")


def s3():
    return client("s3")


def dynamodb():
    return client("dynamodb")


def events():
    return client("events")


def stepfunctions():
    return client("stepfunctions")


@cache
def bedrock_runtime(read_timeout: float):
    """Bedrock's runtime with a deadline of its own: a slow model must give way to the built-in one, so
    one attempt, no retries."""
    settings = get_settings()
    timeouts = Config(read_timeout=read_timeout, connect_timeout=min(2.0, read_timeout), retries={"max_attempts": 1})
    with _CREATION_LOCK:
        return _session().client(
            "bedrock-runtime",
            region_name=settings.region,
            endpoint_url=settings.endpoint_for("bedrock-runtime"),
            config=_CLIENT_CONFIG.merge(timeouts),
        )


@cache
def queue_url(short_name: str) -> str:
    name = get_settings().queue_name(short_name)
    return sqs().get_queue_url(QueueName=name)["QueueUrl"]


def reset_clients() -> None:
    """Drop cached clients (tests switching endpoints or mocks call this)."""
    client.cache_clear()
    bedrock_runtime.cache_clear()
    queue_url.cache_clear()

"""Keeps what moto's server holds across restarts: moto keeps nothing on disk, so its data is written to
``<state dir>/state.json`` (periodically and on a clean stop) and read back on start.

What still needs it:
- the files bucket (S3 lives in moto): a clean stop keeps every object; a ``kill -9`` or a crash loses
  the objects written since the last periodic snapshot (``DESKFLOW_SNAPSHOT_SECONDS``, 60 s by default),
  except confirmed attachments: the runner sets ``DESKFLOW_LOCAL_FILES_DIR``, confirming an upload writes
  the object there (fsynced) before the API answers (``chalicelib.models.files_bucket.keep``), and
  ``restore_kept_objects`` puts them back at start, after the snapshot (they are the newer truth).
- the tables, only when DynamoDB itself is moto (no Java found): the same window of loss applies to
  every table then. With DynamoDB Local the tables are durable on their own and are left out.

Queued SQS messages and Step Functions executions are not kept: events dispatched but never consumed
are delivered again from the outbox at start.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from chalicelib import aws
from chalicelib.settings import get_settings
from infra.tables import TABLES

FORMAT_VERSION = 1
BATCH_WRITE_LIMIT = 25
BATCH_WRITE_ATTEMPTS = 8

logger = logging.getLogger(__name__)


def snapshot(include_tables: bool = True) -> dict:
    """Every object of the files bucket and, if asked, every item of every Deskflow table, JSON-ready."""
    settings = get_settings()
    state = {
        "format": FORMAT_VERSION,
        "table_prefix": settings.table_prefix,
        "bucket": {"name": settings.files_bucket, "objects": _bucket_objects(settings.files_bucket)},
    }
    if include_tables:
        state["tables"] = {short_name: _table_items(settings.table_name(short_name)) for short_name in TABLES}
    return state


def _table_items(table_name: str) -> list[dict]:
    items: list[dict] = []
    # A full Scan is right here: this is a maintenance job copying the whole table, never a request path.
    for page in aws.dynamodb().get_paginator("scan").paginate(TableName=table_name):
        items.extend(_encode_item(item) for item in page["Items"])
    return items


def _bucket_objects(bucket: str) -> list[dict]:
    s3 = aws.s3()
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for summary in page.get("Contents", []):
            stored = s3.get_object(Bucket=bucket, Key=summary["Key"])
            objects.append(
                {
                    "key": summary["Key"],
                    "content_type": stored.get("ContentType"),
                    "metadata": stored.get("Metadata") or {},
                    "body": base64.b64encode(stored["Body"].read()).decode("ascii"),
                }
            )
    return objects


def restore(state: dict, include_tables: bool = True) -> dict[str, int]:
    """Write a snapshot back (tables first, if asked, then objects); returns how many items/objects per target."""
    settings = get_settings()
    counts: dict[str, int] = {}
    for short_name, items in (state.get("tables", {}) if include_tables else {}).items():
        if short_name not in TABLES:
            logger.warning("snapshot holds table %r, which infra/tables.py no longer defines; skipped", short_name)
            continue
        _batch_write(settings.table_name(short_name), [_decode_item(item) for item in items])
        counts[short_name] = len(items)
    objects = state.get("bucket", {}).get("objects", [])
    s3 = aws.s3()
    for stored in objects:
        extra = {"ContentType": stored["content_type"]} if stored.get("content_type") else {}
        s3.put_object(
            Bucket=settings.files_bucket,
            Key=stored["key"],
            Body=base64.b64decode(stored["body"]),
            Metadata=stored.get("metadata") or {},
            **extra,
        )
    counts["objects"] = len(objects)
    return counts


def _batch_write(table_name: str, items: list[dict]) -> None:
    dynamodb = aws.dynamodb()
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        pending = {table_name: [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_LIMIT]]}
        for attempt in range(BATCH_WRITE_ATTEMPTS):
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        if pending:
            raise RuntimeError(f"could not restore every item of {table_name} after {BATCH_WRITE_ATTEMPTS} attempts")


# DynamoDB attribute values hold bytes for B and BS; JSON cannot, so they travel as base64 text.
def _encode_value(value: dict) -> dict:
    (kind, inner), *_ = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(member).decode("ascii") for member in inner]}
    if kind == "M":
        return {"M": _encode_item(inner)}
    if kind == "L":
        return {"L": [_encode_value(member) for member in inner]}
    return value


def _decode_value(value: dict) -> dict:
    (kind, inner), *_ = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(member) for member in inner]}
    if kind == "M":
        return {"M": _decode_item(inner)}
    if kind == "L":
        return {"L": [_decode_value(member) for member in inner]}
    return value


def _encode_item(item: dict) -> dict:
    return {name: _encode_value(value) for name, value in item.items()}


def _decode_item(item: dict) -> dict:
    return {name: _decode_value(value) for name, value in item.items()}


def save_state(path: Path, include_tables: bool = True) -> int:
    """Snapshot to ``path`` atomically (temp file in the same folder, then rename); returns its size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(snapshot(include_tables), separators=(",", ":")).encode()
    handle, temp_name = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return len(data)


def load_state(path: Path, include_tables: bool = True) -> dict[str, int] | None:
    """Restore ``path`` if it exists; None when there is nothing to restore. ``include_tables=False``
    restores the bucket only (the tables are already in DynamoDB Local)."""
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    if state.get("format") != FORMAT_VERSION:
        raise RuntimeError(f"{path} has snapshot format {state.get('format')!r}; expected {FORMAT_VERSION}")
    return restore(state, include_tables)


def use_kept_files(folder: Path) -> None:
    """Have this process (and the API processes it starts) keep confirmed uploads in ``folder``."""
    from chalicelib.settings import reset_settings

    folder.mkdir(parents=True, exist_ok=True)
    os.environ["DESKFLOW_LOCAL_FILES_DIR"] = str(folder)
    reset_settings()


def restore_kept_objects(folder: Path) -> int:
    """Put every object kept in ``folder`` (``files_bucket.keep``) back into the files bucket; returns how many."""
    if not folder.is_dir():
        return 0
    # ".object-*" files are writes a crash interrupted before their rename: never acknowledged, so skipped.
    paths = sorted(path for path in folder.glob("*.json") if not path.name.startswith("."))
    objects = [json.loads(path.read_text()) for path in paths]
    return restore({"bucket": {"objects": objects}}, include_tables=False)["objects"]


class PeriodicSnapshots:
    """Saves the state every ``interval`` seconds from a thread; ``stop()`` saves once more (call it after
    the API and the event runtime have stopped, so the last snapshot holds every acknowledged write)."""

    def __init__(self, path: Path, interval: float, include_tables: bool = True):
        self._path = path
        self._include_tables = include_tables
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the final save and a periodic one must not interleave
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.save()
            except Exception:
                logger.exception("periodic snapshot to %s failed", self._path)

    def save(self) -> int:
        with self._lock:
            started = time.monotonic()
            size = save_state(self._path, self._include_tables)
            logger.info("saved %s (%d bytes, %.0f ms)", self._path, size, (time.monotonic() - started) * 1000)
            return size

    def stop(self) -> int:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        return self.save()

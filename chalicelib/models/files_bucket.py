"""The files bucket (attachments, exports): presigned URLs, object heads and deletes.

The storage adapter for S3, as ``chalicelib.models`` is for DynamoDB: domain code asks it questions
in its own words and never sees botocore. Presigned URLs are signed for the endpoint the S3 client
uses, so on a laptop they point at the local emulator the caller can reach.

On ``make run`` S3 is moto's server, which keeps objects in memory (snapshotted every minute).
When ``DESKFLOW_LOCAL_FILES_DIR`` is set (only the local runner sets it), ``keep`` also writes the
object into that folder, fsynced, before the caller reports it stored, and ``discard`` removes it;
the runner puts the folder's objects back into the emulator at start (``infra.local.persistence``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.clock import utcnow
from chalicelib.settings import get_settings

_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class PresignedUrl:
    url: str
    expires_at: str


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str | None


def _bucket() -> str:
    return get_settings().files_bucket


def _expiry(seconds: int) -> str:
    return (utcnow() + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def presigned_upload(key: str, content_type: str, size: int, seconds: int) -> PresignedUrl:
    """A PUT URL for exactly this object: its Content-Type and Content-Length are signed, so S3 refuses
    an upload of another type or length (emulators may not check; the confirm step does)."""
    url = aws.s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": _bucket(), "Key": key, "ContentType": content_type, "ContentLength": size},
        ExpiresIn=seconds,
        HttpMethod="PUT",
    )
    return PresignedUrl(url, _expiry(seconds))


def presigned_download(key: str, filename: str, content_type: str, seconds: int) -> PresignedUrl:
    """A GET URL that makes browsers save the object as ``filename`` rather than render it inline."""
    url = aws.s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": _bucket(),
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition(filename),
        },
        ExpiresIn=seconds,
    )
    return PresignedUrl(url, _expiry(seconds))


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback name plus the exact UTF-8 name (``filename*``)."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def head(key: str) -> StoredObject | None:
    """Size and type of the stored object, or None when nothing is stored under ``key``."""
    try:
        response = aws.s3().head_object(Bucket=_bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING:
            return None
        raise
    return StoredObject(size=int(response["ContentLength"]), content_type=response.get("ContentType"))


def put(key: str, data: bytes, content_type: str) -> None:
    """Store ``data`` under ``key`` (a small body the API itself carried: an inline image)."""
    aws.s3().put_object(Bucket=_bucket(), Key=key, Body=data, ContentType=content_type)


def read(key: str, max_bytes: int | None = None) -> bytes:
    """The stored object's bytes, or only its first ``max_bytes`` (a ranged GET)."""
    options = {"Range": f"bytes=0-{max_bytes - 1}"} if max_bytes else {}
    return aws.s3().get_object(Bucket=_bucket(), Key=key, **options)["Body"].read()


def copy(source_key: str, target_key: str) -> None:
    """Copy an object within the bucket (type and metadata come along)."""
    aws.s3().copy_object(Bucket=_bucket(), Key=target_key, CopySource={"Bucket": _bucket(), "Key": source_key})


def delete(key: str) -> None:
    """Remove the object (nothing stored is fine) and its local durable copy."""
    aws.s3().delete_object(Bucket=_bucket(), Key=key)
    folder = _local_folder()
    if folder is not None:
        local_copy_path(folder, key).unlink(missing_ok=True)


def keep(key: str) -> None:
    """Make the stored object outlive the process that holds it. On AWS S3 it already does; on ``make run``
    it is written to the local files folder (in the state snapshot's object format) and fsynced."""
    folder = _local_folder()
    if folder is None:
        return
    stored = aws.s3().get_object(Bucket=_bucket(), Key=key)
    record = {
        "key": key,
        "content_type": stored.get("ContentType"),
        "metadata": stored.get("Metadata") or {},
        "body": base64.b64encode(stored["Body"].read()).decode("ascii"),
    }
    _write_durably(local_copy_path(folder, key), json.dumps(record, separators=(",", ":")).encode())


def local_copy_path(folder: Path, key: str) -> Path:
    return folder / f"{hashlib.sha256(key.encode()).hexdigest()}.json"


def _local_folder() -> Path | None:
    folder = get_settings().local_files_dir
    return Path(folder) if folder else None


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".object-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must reach the disk
    finally:
        os.close(directory)

"""Export files in the files bucket: written by the export consumer, downloaded by presigned GET."""

from __future__ import annotations

from typing import BinaryIO

from chalicelib import aws
from chalicelib.settings import get_settings

DOWNLOAD_URL_SECONDS = 15 * 60
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def export_key(workspace_id: str, job_id: str) -> str:
    """One key per job, so writing it again (a job taken over after a crash) replaces, never adds."""
    return f"exports/{workspace_id}/{job_id}.csv"


def put_csv(key: str, body: BinaryIO) -> None:
    """Upload ``body`` (multipart when large: boto3's managed transfer)."""
    aws.s3().upload_fileobj(body, get_settings().files_bucket, key, ExtraArgs={"ContentType": CSV_CONTENT_TYPE})


def download_url(key: str, filename: str) -> str:
    """A presigned GET of ``key``, good for ``DOWNLOAD_URL_SECONDS``, saved as ``filename``."""
    return aws.s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": get_settings().files_bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        },
        ExpiresIn=DOWNLOAD_URL_SECONDS,
    )

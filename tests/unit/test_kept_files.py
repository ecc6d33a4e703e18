"""On make run, a kept object is on disk in the local files folder and comes back into an empty bucket."""

from __future__ import annotations

from chalicelib import aws as s3
from chalicelib.models import files_bucket
from chalicelib.settings import get_settings
from infra.local.persistence import restore_kept_objects

KEY = "workspaces/demo/tickets/t-1/attachments/att_1"


def put(body: bytes) -> None:
    s3.s3().put_object(Bucket=get_settings().files_bucket, Key=KEY, Body=body, ContentType="image/png")


def test_a_kept_object_is_restored_into_an_emptied_bucket(aws, env, tmp_path):
    env.set(DESKFLOW_LOCAL_FILES_DIR=str(tmp_path))
    put(b"png bytes")
    files_bucket.keep(KEY)
    s3.s3().delete_object(Bucket=get_settings().files_bucket, Key=KEY)  # what a kill -9 of moto does to it

    restored = restore_kept_objects(tmp_path)

    stored = s3.s3().get_object(Bucket=get_settings().files_bucket, Key=KEY)
    assert restored == 1
    assert stored["Body"].read() == b"png bytes"
    assert stored["ContentType"] == "image/png"


def test_deleting_an_object_forgets_its_kept_copy(aws, env, tmp_path):
    env.set(DESKFLOW_LOCAL_FILES_DIR=str(tmp_path))
    put(b"png bytes")
    files_bucket.keep(KEY)

    files_bucket.delete(KEY)

    assert list(tmp_path.iterdir()) == []
    assert restore_kept_objects(tmp_path) == 0


def test_without_the_local_folder_nothing_is_written(aws, env, tmp_path):
    env.set(DESKFLOW_LOCAL_FILES_DIR=None)
    put(b"png bytes")

    files_bucket.keep(KEY)

    assert list(tmp_path.iterdir()) == []

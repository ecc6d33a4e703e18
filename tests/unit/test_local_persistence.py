"""Saving the embedded emulator's data to disk and reading it back."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

from chalicelib import aws as aws_clients
from chalicelib.settings import get_settings
from infra.bootstrap import bootstrap
from infra.local.persistence import PeriodicSnapshots, load_state, save_state
from tests.conftest import reset_runtime
from tests.waiting import wait_until

RICH_ITEM = {
    "pk": {"S": "WS#demo"},
    "sk": {"S": "TICKET#t-1"},
    "version": {"N": "3"},
    "avatar": {"B": b"\x89PNG\x00\xff"},
    "fingerprints": {"BS": [b"\x01", b"\x02"]},
    "tags": {"SS": ["vpn", "wifi"]},
    "scores": {"NS": ["1", "2.5"]},
    "open": {"BOOL": True},
    "assignee": {"NULL": True},
    "custom": {"M": {"nested": {"L": [{"S": "a"}, {"B": b"\x00"}, {"M": {"deep": {"N": "7"}}}]}}},
}


def table(short_name: str) -> str:
    return get_settings().table_name(short_name)


@pytest.fixture
def fresh_aws():
    """A factory of empty, bootstrapped in-process AWS worlds (one ``with`` each)."""

    class _World:
        def __enter__(self):
            self._mock = mock_aws()
            self._mock.start()
            reset_runtime()
            bootstrap()

        def __exit__(self, *exc):
            self._mock.stop()
            reset_runtime()

    return _World


def write_fixture_data() -> None:
    dynamodb, s3 = aws_clients.dynamodb(), aws_clients.s3()
    dynamodb.put_item(TableName=table("tickets"), Item=RICH_ITEM)
    for start in range(0, 60, 25):
        dynamodb.batch_write_item(
            RequestItems={
                table("directory"): [
                    {"PutRequest": {"Item": {"pk": {"S": f"USER#{n}"}, "sk": {"S": "PROFILE"}}}}
                    for n in range(start, min(start + 25, 60))
                ]
            }
        )
    s3.put_object(
        Bucket=get_settings().files_bucket,
        Key="demo/attachments/photo.jpg",
        Body=b"\xff\xd8\xffjpeg",
        ContentType="image/jpeg",
        Metadata={"ticket": "t-1"},
    )


def test_snapshot_restores_every_item_and_object_into_an_empty_emulator(tmp_path, fresh_aws):
    state_file = tmp_path / "state.json"
    with fresh_aws():
        write_fixture_data()
        save_state(state_file)

    with fresh_aws():
        counts = load_state(state_file)
        dynamodb, s3 = aws_clients.dynamodb(), aws_clients.s3()
        restored = dynamodb.get_item(TableName=table("tickets"), Key={"pk": RICH_ITEM["pk"], "sk": RICH_ITEM["sk"]})
        directory_count = dynamodb.scan(TableName=table("directory"), Select="COUNT")["Count"]
        stored = s3.get_object(Bucket=get_settings().files_bucket, Key="demo/attachments/photo.jpg")

        assert restored["Item"] == RICH_ITEM
        assert directory_count == 60
        assert stored["Body"].read() == b"\xff\xd8\xffjpeg"
        assert stored["ContentType"] == "image/jpeg"
        assert stored["Metadata"] == {"ticket": "t-1"}
        assert counts["tickets"] == 1 and counts["directory"] == 60 and counts["objects"] == 1


def test_snapshot_file_is_plain_json_and_replaced_whole(tmp_path, fresh_aws):
    state_file = tmp_path / "state" / "state.json"
    with fresh_aws():
        write_fixture_data()
        first_size = save_state(state_file)
        second_size = save_state(state_file)

    assert first_size == second_size == state_file.stat().st_size
    assert json.loads(state_file.read_text())["format"] == 1
    assert [path.name for path in state_file.parent.iterdir()] == ["state.json"]  # no temp files left


def test_nothing_to_restore_without_a_state_file(tmp_path):
    assert load_state(tmp_path / "missing.json") is None


def test_a_snapshot_of_an_unknown_format_is_refused_before_anything_is_written(tmp_path):
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"format": 99, "tables": {}}))

    with pytest.raises(RuntimeError, match="format"):
        load_state(state_file)


def test_periodic_snapshots_save_on_their_interval_and_once_more_on_stop(tmp_path, fresh_aws):
    state_file = tmp_path / "state.json"
    with fresh_aws():
        snapshots = PeriodicSnapshots(state_file, interval=0.05)
        snapshots.start()
        saved_periodically = wait_until(state_file.exists, 5, "no periodic snapshot within 5 s", interval=0.02)
        write_fixture_data()
        snapshots.stop()

    assert saved_periodically
    assert len(json.loads(state_file.read_text())["tables"]["directory"]) == 60


def test_with_tables_in_dynamodb_local_only_the_bucket_is_saved_and_restored(tmp_path, fresh_aws):
    state_file = tmp_path / "state.json"
    with fresh_aws():
        write_fixture_data()
        save_state(state_file, include_tables=False)
    with fresh_aws():
        counts = load_state(state_file, include_tables=False)
        directory_count = aws_clients.dynamodb().scan(TableName=table("directory"), Select="COUNT")["Count"]
        stored = aws_clients.s3().get_object(Bucket=get_settings().files_bucket, Key="demo/attachments/photo.jpg")

        assert "tables" not in json.loads(state_file.read_text())
        assert directory_count == 0
        assert stored["Body"].read() == b"\xff\xd8\xffjpeg"
        assert counts == {"objects": 1}


def test_tables_of_an_older_snapshot_can_be_left_out_of_a_restore(tmp_path, fresh_aws):
    state_file = tmp_path / "state.json"
    with fresh_aws():
        write_fixture_data()
        save_state(state_file)
    with fresh_aws():
        load_state(state_file, include_tables=False)

        assert aws_clients.dynamodb().scan(TableName=table("directory"), Select="COUNT")["Count"] == 0

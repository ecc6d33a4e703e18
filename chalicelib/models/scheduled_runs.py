"""Proof that a scheduled run happened, kept in the metrics table (one small item per run).

pk = WS#<ws>   sk = RUN#<run_id>
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from chalicelib.errors import Conflict
from chalicelib.models.base import DeskflowModel


class ScheduledRunItem(DeskflowModel):
    class Meta:
        short_table = "metrics"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    run_id = UnicodeAttribute()
    due_at = UnicodeAttribute()
    ran_at = UnicodeAttribute()
    execution = UnicodeAttribute(null=True)  # the Step Functions execution that sent it


def run_key(workspace_id: str, run_id: str) -> tuple[str, str]:
    return f"WS#{workspace_id}", f"RUN#{run_id}"


def save_new_run(item: ScheduledRunItem) -> None:
    """Save the record of a run; raises ``Conflict`` when that run is already recorded."""
    try:
        item.save(condition=ScheduledRunItem.pk.does_not_exist())
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise Conflict(f"run {item.run_id} is already recorded", code="run_recorded") from error
        raise


def find_run(workspace_id: str, run_id: str) -> ScheduledRunItem | None:
    try:
        return ScheduledRunItem.get(*run_key(workspace_id, run_id), consistent_read=True)
    except ScheduledRunItem.DoesNotExist:
        return None

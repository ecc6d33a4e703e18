"""The AI's items in the ``intake`` table (chalicelib.models.intake):

    pk = AILOG#<ws>#<log id>        sk = LOG         one classification (listed: ``<ws>#ailogs``)
    pk = AITICKET#<ws>#<ticket id>  sk = LOG         which log a ticket came from (staff corrections find it)
    pk = AILABEL#<ws>               sk = <label id>  a training label: a text and the category it belongs to
    pk = AIMODEL#<ws>               sk = CURRENT     the workspace's trained model (weights in the files bucket)
    pk = AIMODEL#<ws>               sk = STATS       labels since training, classified and auto-assigned tickets
    pk = AIMODEL#<ws>               sk = CM#<actual>#<predicted>   how often that pair was judged (confusion matrix)
    pk = AIMODEL#<ws>               sk = CREDENTIALS the external provider's API key (never returned)
    pk = TRIAGE#<ws>#<ticket id>    sk = TRIAGE      a ticket waiting for a human (listed: ``<ws>#triage``)

Workspaces whose new labels reached the retraining threshold carry ``list_key`` = ``ai#retrain-due`` on
their STATS item: the schedule reads that one partition of the list index, never the whole table.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import DeskflowModel
from chalicelib.models.intake import TABLE, IntakeLists

LOG_SK = "LOG"
RETRAIN_DUE = "ai#retrain-due"


def log_pk(workspace_id: str, log_id: str) -> str:
    return f"AILOG#{workspace_id}#{log_id}"


def ticket_log_pk(workspace_id: str, ticket_id: str) -> str:
    return f"AITICKET#{workspace_id}#{ticket_id}"


def labels_pk(workspace_id: str) -> str:
    return f"AILABEL#{workspace_id}"


def model_pk(workspace_id: str) -> str:
    return f"AIMODEL#{workspace_id}"


def triage_pk(workspace_id: str, ticket_id: str) -> str:
    return f"TRIAGE#{workspace_id}#{ticket_id}"


def logs_list(workspace_id: str) -> str:
    return f"{workspace_id}#ailogs"


def triage_list(workspace_id: str) -> str:
    return f"{workspace_id}#triage"


class AiLogItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=LOG_SK)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    source = UnicodeAttribute()  # api | chat | image | intake
    text = UnicodeAttribute()  # what was classified (a correction turns it into a training label)
    actor_id = UnicodeAttribute(null=True)
    provider = UnicodeAttribute()  # who answered: builtin | openai | bedrock
    fallback_from = UnicodeAttribute(null=True)  # the configured provider that failed, when builtin stood in
    fallback_reason = UnicodeAttribute(null=True)
    predicted_category = UnicodeAttribute(null=True)
    actual_category = UnicodeAttribute(null=True)
    feedback_source = UnicodeAttribute(null=True)  # feedback | correction
    confidence = NumberAttribute()
    model_version = UnicodeAttribute()
    reasons = UnicodeAttribute(default="[]")  # compact JSON list
    ticket_id = UnicodeAttribute(null=True)
    auto_assigned = BooleanAttribute(null=True)
    image_read = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
    list_key = UnicodeAttribute()
    created_key = UnicodeAttribute()
    lists = IntakeLists()


class TicketLogItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=LOG_SK)
    log_id = UnicodeAttribute()


class LabelItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # TICKET#<id> (the ticket's category) or LOG#<id> (feedback)
    text = UnicodeAttribute()
    category = UnicodeAttribute()
    source = UnicodeAttribute()  # ticket | feedback | correction
    at = UnicodeAttribute()


class ModelRecord(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CURRENT")
    version = UnicodeAttribute()
    object_key = UnicodeAttribute()
    trained_at = UnicodeAttribute()
    labels = NumberAttribute()
    examples = NumberAttribute()
    categories = NumberAttribute()
    job_id = UnicodeAttribute(null=True)


class StatsItem(DeskflowModel):
    """Counters moved by ADD updates: ``new_labels`` since the last training; ``classified_tickets`` and
    ``auto_assigned`` count tickets opened from a classification."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="STATS")
    new_labels = NumberAttribute(default=0)
    classified_tickets = NumberAttribute(default=0)
    auto_assigned = NumberAttribute(default=0)
    list_key = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute(null=True)
    lists = IntakeLists()


class ConfusionItem(DeskflowModel):
    """One cell of the confusion matrix: the judged classifications whose actual category is ``actual``
    and predicted one ``predicted`` (``~none`` for no category). A workspace has at most categories² cells."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    actual = UnicodeAttribute()
    predicted = UnicodeAttribute()
    count = NumberAttribute(default=0)


NO_CATEGORY = "~none"


def confusion_sk(actual: str | None, predicted: str | None) -> str:
    return f"CM#{actual or NO_CATEGORY}#{predicted or NO_CATEGORY}"


class CredentialsItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="CREDENTIALS")
    api_key = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class TriageItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="TRIAGE")
    workspace_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    ticket_number = UnicodeAttribute()
    title = UnicodeAttribute()
    reason = UnicodeAttribute()  # not_auto_assigned | no_rule_matched | rule_without_auto_assign
    suggestion = UnicodeAttribute(null=True)  # compact JSON: category, confidence, model_version, ai_log_id
    created_at = UnicodeAttribute()
    list_key = UnicodeAttribute()
    created_key = UnicodeAttribute()
    lists = IntakeLists()

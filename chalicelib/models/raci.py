"""RACI groups and rules (seed 001), in the ``intake`` table, one partition per workspace:

    pk = RACI#<ws>   sk = GROUP#<id>   RaciGroupItem: name, team, members by RACI role, how many rules use it
    pk = RACI#<ws>   sk = RULE#<id>    RaciRuleItem: what a new ticket must match, the group it goes to
    pk = RACI#<ws>   sk = COUNTS       RaciCountsItem: how many groups and rules exist (the limits below)

A workspace holds at most ``MAX_GROUPS`` groups and ``MAX_RULES`` rules, each item well under 2 KB, so one
Query of the partition (``read_partition``) reads everything routing and the lists need, under 1 MB.
Groups and rules carry a version: every write is conditioned on the version it read. A rule's write also
moves its group's ``rule_count`` (and so its version): a group cannot be deleted while a rule names it, and
a rule cannot be written against a group deleted meanwhile. None of these items is listed in the table's
``lists`` index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.errors import DeskflowError
from chalicelib.models.base import DeskflowModel, cancellation_codes, transaction
from chalicelib.models.intake import TABLE

GROUP_PREFIX = "GROUP#"
RULE_PREFIX = "RULE#"
COUNTS_SK = "COUNTS"
MAX_GROUPS = 100
MAX_RULES = 100
RACI_ROLES = ("responsible", "accountable", "consulted", "informed")


def raci_pk(workspace_id: str) -> str:
    return f"RACI#{workspace_id}"


class RaciGroupItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    team = UnicodeAttribute(null=True)
    responsible = ListAttribute(of=UnicodeAttribute, default=list)
    accountable = ListAttribute(of=UnicodeAttribute, default=list)
    consulted = ListAttribute(of=UnicodeAttribute, default=list)
    informed = ListAttribute(of=UnicodeAttribute, default=list)
    rule_count = NumberAttribute(default=0)  # rules naming this group (moved with each rule write)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


class RaciRuleItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    enabled = BooleanAttribute()
    position = NumberAttribute()
    ticket_class = UnicodeAttribute(null=True)  # matched ignoring case; None matches every ticket
    category = UnicodeAttribute(null=True)
    priority = UnicodeAttribute(null=True)  # low | medium | high | urgent
    keywords = ListAttribute(of=UnicodeAttribute, null=True)
    group_id = UnicodeAttribute()
    auto_assign = BooleanAttribute()
    auto_assign_agent = UnicodeAttribute(null=True)  # kept for agent runtimes
    auto_agent_model = UnicodeAttribute(null=True)
    auto_agent_prompt = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


class RaciCountsItem(DeskflowModel):
    """Only ever changed by ADD, conditioned on staying within the limits."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    groups = NumberAttribute(null=True)
    rules = NumberAttribute(null=True)


@dataclass
class RaciPartition:
    """Everything a workspace's RACI partition holds."""

    groups: dict[str, RaciGroupItem] = field(default_factory=dict)
    rules: dict[str, RaciRuleItem] = field(default_factory=dict)


def read_partition(workspace_id: str, consistent: bool = False) -> RaciPartition:
    """The workspace's groups and rules: one Query (paged only past 1 MB, which the limits rule out)."""
    connection = RaciGroupItem._get_connection()
    partition, start = RaciPartition(), None
    while True:
        answer = connection.query(raci_pk(workspace_id), consistent_read=consistent, exclusive_start_key=start)
        for raw in answer.get("Items", []):
            sort_key = raw["sk"]["S"]
            if sort_key.startswith(GROUP_PREFIX):
                group = RaciGroupItem.from_raw_data(raw)
                partition.groups[group.id] = group
            elif sort_key.startswith(RULE_PREFIX):
                rule = RaciRuleItem.from_raw_data(raw)
                partition.rules[rule.id] = rule
        start = answer.get("LastEvaluatedKey")
        if not start:
            return partition


def get_group(workspace_id: str, group_id: str) -> RaciGroupItem | None:
    try:
        return RaciGroupItem.get(raci_pk(workspace_id), f"{GROUP_PREFIX}{group_id}", consistent_read=True)
    except RaciGroupItem.DoesNotExist:
        return None


def get_rule(workspace_id: str, rule_id: str) -> RaciRuleItem | None:
    try:
        return RaciRuleItem.get(raci_pk(workspace_id), f"{RULE_PREFIX}{rule_id}", consistent_read=True)
    except RaciRuleItem.DoesNotExist:
        return None


def counts(workspace_id: str) -> RaciCountsItem:
    return RaciCountsItem(pk=raci_pk(workspace_id), sk=COUNTS_SK)


def held(workspace_id: str, kind: str) -> int:
    """How many ``kind`` (``groups`` or ``rules``) the workspace holds, read consistently."""
    try:
        item = RaciCountsItem.get(raci_pk(workspace_id), COUNTS_SK, consistent_read=True)
    except RaciCountsItem.DoesNotExist:
        return 0
    return int(getattr(item, kind) or 0)


class RaciWrite:
    """One change to the partition (with its audit row), written in one transaction or not at all."""

    def __init__(self) -> None:
        self._steps: list = []

    def save(self, item: DeskflowModel, condition=None) -> None:
        self._steps.append(lambda write: write.save(item, condition=condition))

    def delete(self, item: DeskflowModel) -> None:
        self._steps.append(lambda write: write.delete(item))

    def move_rule_count(self, group: RaciGroupItem, delta: int, at: str) -> None:
        """``rule_count`` of ``group`` moved by ``delta``, guarded by (and bumping) the version it was read at."""
        actions = [RaciGroupItem.rule_count.add(delta), RaciGroupItem.updated_at.set(at)]
        self._steps.append(lambda write: write.update(group, actions=actions))

    def count(self, workspace_id: str, kind: str, delta: int, limit: int) -> None:
        """Move the workspace's count of ``kind`` (``groups`` or ``rules``); growing past ``limit`` fails."""
        attribute = getattr(RaciCountsItem, kind)
        condition = (attribute.does_not_exist() | (attribute < limit)) if delta > 0 else None
        item = counts(workspace_id)
        self._steps.append(lambda write: write.update(item, actions=[attribute.add(delta)], condition=condition))

    def commit(self, lost_race: DeskflowError) -> None:
        """Write everything; ``lost_race`` is raised when a condition failed (something changed meanwhile)."""
        try:
            with transaction() as write:
                for step in self._steps:
                    step(write)
        except TransactWriteError as error:
            codes = cancellation_codes(error)
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise lost_race from error
            raise

"""Teams, technician profiles, buildings and apartments: their items on the directory table.

Every key leads with the workspace, so another workspace's object is simply not found.

- A team: pk ``TEAMS#<ws>``, sk ``TEAM#<team id>``; listed by name through the table's one index
  (``by-workspace``: ``member_key`` = ``TEAMS#<ws>``, ``email_key`` = the name's key). A name claim
  (pk ``TEAMNAME#<ws>#<name key>``) makes names unique per workspace; it is written and released
  in the same transaction as the team.
- A technician profile: pk ``TECHNICIANS#<ws>``, sk ``TECH#<user id>`` (one Query lists them).
  While a technician is available, small availability entries name them: one under
  ``AVAILABLE#<ws>`` and one under ``AVAILABLE#<ws>#<category>`` per category, sk the user id.
  ``technicians/available?category=`` is one Query on that key; the entries are put and deleted
  in the same transaction as the profile, so they never disagree with it.
- A building: pk ``BUILDINGS#<ws>``, sk ``BUILDING#<building id>``; its apartments: pk
  ``APARTMENTS#<ws>#<building id>``, sk ``APT#<apartment id>`` (apartment ids are unique within
  their building because they are the sort key there).

This module is the storage adapter: it speaks PynamoDB and turns failed conditions into the
domain errors the caller names; it knows nothing about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.errors import Conflict, DeskflowError
from chalicelib.models.base import DeskflowModel, cancellation_codes, transaction
from chalicelib.models.directory import TABLE, ByWorkspace

TEAM_PREFIX = "TEAM#"
TECH_PREFIX = "TECH#"
BUILDING_PREFIX = "BUILDING#"
APARTMENT_PREFIX = "APT#"
TEAM_NAME_SK = "TEAMNAME"


def teams_pk(workspace_id: str) -> str:
    return f"TEAMS#{workspace_id}"


def team_name_pk(workspace_id: str, name_key: str) -> str:
    return f"TEAMNAME#{workspace_id}#{name_key}"


def technicians_pk(workspace_id: str) -> str:
    return f"TECHNICIANS#{workspace_id}"


def available_pk(workspace_id: str, category_key: str | None = None) -> str:
    """Where available technicians are listed: all of them, or those of one category."""
    base = f"AVAILABLE#{workspace_id}"
    return base if category_key is None else f"{base}#{category_key}"


def buildings_pk(workspace_id: str) -> str:
    return f"BUILDINGS#{workspace_id}"


def apartments_pk(workspace_id: str, building_id: str) -> str:
    return f"APARTMENTS#{workspace_id}#{building_id}"


class _Stamped(DeskflowModel):
    class Meta:
        abstract = True
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


class TeamRecord(_Stamped):
    class Meta:
        short_table = TABLE
        table_name = None

    team_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    members = ListAttribute(of=UnicodeAttribute, default=list)  # user ids (agents and admins)
    member_key = UnicodeAttribute()  # TEAMS#<ws>: the by-workspace index lists teams by name
    email_key = UnicodeAttribute()  # the name's key
    by_name = ByWorkspace()


class TeamNameClaim(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TEAM_NAME_SK)
    team_id = UnicodeAttribute()


class TechnicianRecord(_Stamped):
    class Meta:
        short_table = TABLE
        table_name = None

    user_id = UnicodeAttribute()
    display_name = UnicodeAttribute(default="")  # the member's name when the profile was last written
    email = UnicodeAttribute(null=True)
    skills = ListAttribute(of=UnicodeAttribute, default=list)
    categories = ListAttribute(of=UnicodeAttribute, default=list)
    available = BooleanAttribute(default=False)
    # ``category:<key>`` and ``skill:<key>`` for each, so the list's filters ignore case and spacing
    filter_keys = ListAttribute(of=UnicodeAttribute, default=list)


class AvailabilityEntry(DeskflowModel):
    """An available technician under one key (all, or one category): keys only."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # the technician's user id
    workspace_id = UnicodeAttribute()


class BuildingRecord(_Stamped):
    class Meta:
        short_table = TABLE
        table_name = None

    building_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute(default="")


class ApartmentRecord(_Stamped):
    class Meta:
        short_table = TABLE
        table_name = None

    building_id = UnicodeAttribute()
    apartment_id = UnicodeAttribute()
    label = UnicodeAttribute(default="")
    floor = NumberAttribute(null=True)


# --- reads -------------------------------------------------------------------------------------


def get(model, pk: str, sk: str, consistent: bool = False):
    """One item, or None."""
    try:
        return model.get(pk, sk, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def query_page(source, hash_value: str, limit: int, start_key: dict | None, key_names, **options):
    """One page of ``limit`` items from a Query on ``source`` (a model or an index) and the
    position after its last item (None when nothing follows: one extra item is read to know).
    ``key_names`` are the attributes that make a position (the table's keys, plus the index's)."""
    exclusive_start = {name: {"S": value} for name, value in start_key.items()} if start_key else None
    results = source.query(
        hash_value, limit=limit + 1, page_size=limit + 1, last_evaluated_key=exclusive_start, **options
    )
    items = list(results)
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], {name: getattr(last, name) for name in key_names}


def technicians_by_id(workspace_id: str, user_ids: list[str]) -> list[TechnicianRecord]:
    """The profiles of ``user_ids`` (one BatchGetItem per 100), in the order given."""
    keys = [(technicians_pk(workspace_id), f"{TECH_PREFIX}{user_id}") for user_id in user_ids]
    found = {record.user_id: record for record in TechnicianRecord.batch_get(keys)}
    return [found[user_id] for user_id in user_ids if user_id in found]


# --- writes ------------------------------------------------------------------------------------


@dataclass
class Changes:
    """The writes of one transaction, each with the error its failed condition means.

    DynamoDB reports a cancelled transaction's reasons in the order PynamoDB sends the items:
    condition checks, then deletes, then puts; ``commit`` keeps that order to know which write
    failed."""

    checks: list = field(default_factory=list)
    deletes: list = field(default_factory=list)
    puts: list = field(default_factory=list)

    def put_new(self, record, error: DeskflowError) -> None:
        self.puts.append((record, type(record).pk.does_not_exist(), error))

    def put_audit(self, row) -> None:
        """The change's audit row (its key has a random part: a collision is only ever a retry)."""
        self.put_new(row, Conflict("audit row collision; retry", code="audit_exists"))

    def put(self, record, error: DeskflowError, condition=None) -> None:
        """Save ``record`` (a versioned one only at the version it was read at)."""
        self.puts.append((record, condition, error))

    def delete(self, record, error: DeskflowError, condition=None) -> None:
        self.deletes.append((record, condition, error))

    def check(self, model, pk: str, sk: str, condition, error: DeskflowError) -> None:
        self.checks.append(((model, pk, sk), condition, error))


def commit(changes: Changes) -> None:
    """Write ``changes`` in one transaction; the first write whose condition failed decides the
    error raised (nothing is written then). A concurrent transaction on the same items → Conflict."""
    try:
        with transaction() as write:
            for (model, pk, sk), condition, _error in changes.checks:
                write.condition_check(model, pk, sk, condition=condition)
            for record, condition, _error in changes.deletes:
                write.delete(record, condition=condition)
            for record, condition, _error in changes.puts:
                write.save(record, condition=condition)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        ordered = changes.checks + changes.deletes + changes.puts
        for (_target, _condition, failure), reason in zip(ordered, codes, strict=False):
            if reason == "ConditionalCheckFailed":
                raise failure from error
        if "TransactionConflict" in codes:
            raise Conflict("a concurrent change touched the same records; retry", code="write_conflict") from error
        raise

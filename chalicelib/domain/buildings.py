"""Buildings and their apartments (property maintenance, seed 000): where a ticket's work is.

Ids may be chosen by the client (``building-1``, ``apartment-12``) or generated; an apartment id
is unique within its building. Tickets name them as ``building_id`` / ``apartment_id``
(``chalicelib.domain.ticket_references``).
"""

from __future__ import annotations

from chalicelib.clock import now_iso
from chalicelib.domain import people
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.models import people as store
from chalicelib.models.people import ApartmentRecord, BuildingRecord

ADDRESS_MAX = 500
FLOOR_RANGE = (-20, 300)


def _building_view(building: BuildingRecord) -> dict:
    return {
        "id": building.building_id,
        "name": building.name,
        "address": building.address or "",
        "workspace_id": building.workspace_id,
        "version": int(building.version),
        **people.stamps_of(building),
    }


def _apartment_view(apartment: ApartmentRecord) -> dict:
    return {
        "id": apartment.apartment_id,
        "building_id": apartment.building_id,
        "label": apartment.label or "",
        "floor": None if apartment.floor is None else int(apartment.floor),
        "version": int(apartment.version),
        **people.stamps_of(apartment),
    }


def _building_key(workspace_id: str, building_id: str) -> tuple[str, str]:
    return store.buildings_pk(workspace_id), f"{store.BUILDING_PREFIX}{building_id}"


def create_building(
    workspace_id: str,
    name: str,
    *,
    building_id: str | None = None,
    address: str = "",
    actor_id: str,
    correlation_id=None,
) -> dict:
    """A new building; Conflict ``building_exists`` when ``building_id`` is taken in the workspace."""
    building_id = people.checked_id(building_id) if building_id is not None else people.new_id("bld")
    name = people.text(name, "name")
    address = people.text(address, "address", ADDRESS_MAX, required=False)
    at = now_iso()
    pk, sk = _building_key(workspace_id, building_id)
    building = BuildingRecord(
        pk=pk,
        sk=sk,
        workspace_id=workspace_id,
        building_id=building_id,
        name=name,
        address=address,
        **people.stamp(actor_id, at),
    )
    changes = store.Changes()
    changes.put_new(building, Conflict("a building with this id already exists", code="building_exists"))
    created = {"name": name, "address": address}
    changes.put_audit(
        audit_record(workspace_id, actor_id, "building.created", "building", building_id, created, correlation_id, at)
    )
    store.commit(changes)
    return _building_view(building)


def _building(workspace_id: str, building_id: str) -> BuildingRecord:
    building = (
        store.get(BuildingRecord, *_building_key(workspace_id, building_id)) if people.is_id(building_id) else None
    )
    if building is None:
        raise NotFound("building not found", code="building_not_found")
    return building


def get_building(workspace_id: str, building_id: str) -> dict:
    """One building; NotFound ``building_not_found`` (also for another workspace's building)."""
    return _building_view(_building(workspace_id, building_id))


def list_buildings(workspace_id: str, limit: int, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
    """A page of the workspace's buildings in id order (one Query)."""
    records, next_key = store.query_page(
        BuildingRecord, store.buildings_pk(workspace_id), limit, start_key, ("pk", "sk")
    )
    return [_building_view(record) for record in records], next_key


def create_apartment(
    workspace_id: str,
    building_id: str,
    *,
    apartment_id: str | None = None,
    label: str = "",
    floor: int | None = None,
    actor_id: str,
    correlation_id=None,
) -> dict:
    """A new apartment in ``building_id``. NotFound ``building_not_found``; Conflict
    ``apartment_exists`` when the building already has an apartment with ``apartment_id``."""
    _building(workspace_id, building_id)
    apartment_id = people.checked_id(apartment_id) if apartment_id is not None else people.new_id("apt")
    label = people.text(label, "label", required=False) or apartment_id
    if floor is not None and not (isinstance(floor, int) and FLOOR_RANGE[0] <= floor <= FLOOR_RANGE[1]):
        raise ValidationError("floor is invalid", details={"floor": f"must be an integer in {FLOOR_RANGE}"})
    at = now_iso()
    apartment = ApartmentRecord(
        pk=store.apartments_pk(workspace_id, building_id),
        sk=f"{store.APARTMENT_PREFIX}{apartment_id}",
        workspace_id=workspace_id,
        building_id=building_id,
        apartment_id=apartment_id,
        label=label,
        floor=floor,
        **people.stamp(actor_id, at),
    )
    changes = store.Changes()
    # The building must still be there when the apartment is written (buildings are never deleted
    # today; the check keeps that assumption out of this function).
    changes.check(
        BuildingRecord,
        *_building_key(workspace_id, building_id),
        BuildingRecord.pk.exists(),
        NotFound("building not found", code="building_not_found"),
    )
    changes.put_new(apartment, Conflict("this building already has an apartment with this id", code="apartment_exists"))
    created = {"building_id": building_id, "label": label, "floor": floor}
    changes.put_audit(
        audit_record(
            workspace_id, actor_id, "apartment.created", "apartment", apartment_id, created, correlation_id, at
        )
    )
    store.commit(changes)
    return _apartment_view(apartment)


def list_apartments(
    workspace_id: str, building_id: str, limit: int, start_key: dict | None = None
) -> tuple[list[dict], dict | None]:
    """A page of a building's apartments in id order (one Query); NotFound for an unknown building."""
    _building(workspace_id, building_id)
    records, next_key = store.query_page(
        ApartmentRecord, store.apartments_pk(workspace_id, building_id), limit, start_key, ("pk", "sk")
    )
    return [_apartment_view(record) for record in records], next_key


def building_exists(workspace_id: str, building_id: str) -> bool:
    return (
        people.is_id(building_id) and store.get(BuildingRecord, *_building_key(workspace_id, building_id)) is not None
    )


def apartment_exists(workspace_id: str, building_id: str, apartment_id: str) -> bool:
    """Whether ``apartment_id`` is an apartment of ``building_id`` in the workspace."""
    if not (people.is_id(building_id) and people.is_id(apartment_id)):
        return False
    pk = store.apartments_pk(workspace_id, building_id)
    return store.get(ApartmentRecord, pk, f"{store.APARTMENT_PREFIX}{apartment_id}") is not None

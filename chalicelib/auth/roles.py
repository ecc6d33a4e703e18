"""Deskflow's roles and how seed 004's MSP roles map onto them."""

from __future__ import annotations

PLATFORM_ADMIN = "platform_admin"
ADMIN = "admin"
AGENT = "agent"
REQUESTER = "requester"
VIEWER = "viewer"

DESKFLOW_ROLES = (PLATFORM_ADMIN, ADMIN, AGENT, REQUESTER, VIEWER)

MSP_ROLE_MAP = {
    "msp_admin": ADMIN,
    "data_admin": ADMIN,
    "integration_admin": ADMIN,
    "ops_engineer": AGENT,
    "automation_operator": AGENT,
    "endpoint_agent": AGENT,
    "billing": VIEWER,
    "client_portal": REQUESTER,
}

STAFF = frozenset({ADMIN, AGENT})
ANY_MEMBER = frozenset({ADMIN, AGENT, REQUESTER, VIEWER})


def normalize_roles(raw) -> frozenset[str]:
    """Map a token's ``roles`` claim (list or space/comma separated string) onto Deskflow roles;
    unknown roles are dropped."""
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    if not isinstance(raw, (list, tuple, set, frozenset)):
        return frozenset()
    roles = set()
    for role in raw:
        if not isinstance(role, str):
            continue
        role = role.strip().lower()
        if role in DESKFLOW_ROLES:
            roles.add(role)
        elif role in MSP_ROLE_MAP:
            roles.add(MSP_ROLE_MAP[role])
    return frozenset(roles)

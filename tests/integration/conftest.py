"""The integration suite runs on what ``make run`` runs: DynamoDB Local where the machine has Java."""

from __future__ import annotations

import fcntl
import subprocess

import pytest

from infra.local.dynamodb_local import find_distribution, find_java
from tests.integration.local_stack import EXTERNAL_ENDPOINT, REPO_ROOT

INSTALL_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="session", autouse=True)
def dynamodb_local_installed(tmp_path_factory):
    """``make dynamodb-local`` once (under a lock: xdist workers share the install folder). Not on
    LocalStack, and not without Java: ``make run`` then keeps the tables in moto and says so."""
    if EXTERNAL_ENDPOINT or find_java() is None or find_distribution() is not None:
        return
    lock_path = tmp_path_factory.getbasetemp().parent / "dynamodb-local-install.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if find_distribution() is None:
            subprocess.run(["make", "dynamodb-local"], cwd=REPO_ROOT, check=True, timeout=INSTALL_TIMEOUT_SECONDS)

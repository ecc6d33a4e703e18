"""The integration suite runs on what ``make run`` runs: DynamoDB Local where the machine has Java.

DynamoDB Local is installed (``make dynamodb-local``) when this file is loaded, before the test modules
that ask whether the tables will be in DynamoDB Local are imported. Not on LocalStack, and not without
Java: ``make run`` then keeps the tables in moto and says so.
"""

from __future__ import annotations

import fcntl
import subprocess

from infra.local.dynamodb_local import find_distribution, find_java
from tests.integration.local_stack import EXTERNAL_ENDPOINT, REPO_ROOT

INSTALL_TIMEOUT_SECONDS = 600


def ensure_dynamodb_local_installed() -> None:
    if EXTERNAL_ENDPOINT or find_distribution() is not None or find_java() is None:
        return
    lock_path = REPO_ROOT / ".tools" / "dynamodb-local-install.lock"  # xdist workers share the install folder
    lock_path.parent.mkdir(exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if find_distribution() is None:
            subprocess.run(["make", "dynamodb-local"], cwd=REPO_ROOT, check=True, timeout=INSTALL_TIMEOUT_SECONDS)


ensure_dynamodb_local_installed()

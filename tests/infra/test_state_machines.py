"""Every ASL state machine in infra/state_machines passes statelint (cfn-lint does not look inside them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

STATE_MACHINES = sorted((Path(__file__).resolve().parents[2] / "infra" / "state_machines").glob("*.asl.json"))
STATELINT = Path(sys.executable).parent / "statelint"


def statelint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(STATELINT), str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("definition", STATE_MACHINES, ids=lambda path: path.name)
def test_state_machine_passes_statelint(definition):
    result = statelint(definition)
    assert result.returncode == 0, result.stdout + result.stderr


def test_statelint_reports_a_dangling_next(tmp_path):
    # Guards the check itself: a broken definition must make the console script fail.
    broken = tmp_path / "broken.asl.json"
    broken.write_text('{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "Next": "Gone"}}}')

    result = statelint(broken)

    assert result.returncode != 0
    assert "Gone" in result.stdout

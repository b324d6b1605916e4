"""The container recipe: what the Dockerfile runs works here, without building an image."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.notify.servers import free_port

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_is_multi_stage_non_root_with_volume_and_healthcheck() -> None:
    assert 2 == len(re.findall(r"^FROM ", DOCKERFILE, re.MULTILINE))
    assert re.search(r"^USER wirewatch$", DOCKERFILE, re.MULTILINE)
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]


@pytest.mark.integration
def test_container_command_and_healthcheck_work(tmp_path: Path) -> None:
    """`wirewatch run` with the image's environment starts; its HEALTHCHECK command passes;
    SIGTERM stops it with exit code 0."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    port = free_port()
    env = dict(
        os.environ,
        WIREWATCH_CONFIG=str(config / "wirewatch.yaml"),
        WIREWATCH_DATA_DIR=str(tmp_path / "data"),
        WIREWATCH_HTTP__HOST="127.0.0.1",  # the image binds 0.0.0.0; tests stay on loopback
        WIREWATCH_HTTP__PORT=str(port),
        WIREWATCH_FEEDS="[]",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "wirewatch", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        check = DOCKERFILE.split("CMD python -c ", 1)[1].split("\n", 1)[0].strip().strip('"')
        check = check.replace("8787", str(port))
        deadline = time.monotonic() + 30
        code = 1
        while time.monotonic() < deadline and code != 0:
            code = subprocess.run(
                [sys.executable, "-c", check], check=False, capture_output=True
            ).returncode
            time.sleep(0.2)
        assert 0 == code
        process.terminate()
        assert 0 == process.wait(timeout=20)
        assert (tmp_path / "data" / "wirewatch.db").exists()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stderr is not None
        process.stderr.close()

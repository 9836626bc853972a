"""A private Prefect server for the tests and the benchmark: the nightly setup (`prefect server start` with
PREFECT_API_URL set) without touching the operator's own Prefect home.

Each command then talks to a running API instead of starting a temporary server of its own (about 10 s a process).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def prefect_server(home: Path, timeout: float = 90.0) -> Iterator[dict[str, str]]:
    """Start `prefect server start` with PREFECT_HOME=home on a free port; yield the environment that points a
    command at it (PREFECT_API_URL, PREFECT_HOME); stop it on exit."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false", "PREFECT_API_URL": "",
    }
    prefect = Path(sys.executable).parent / "prefect"
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start (see {home / 'server.log'})")
            time.sleep(0.5)
        yield {"PREFECT_API_URL": url, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

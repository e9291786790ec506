"""``patchdesk serve`` as a real process for the tests that talk to it over
sockets (the browser tests, the hardening tests): a free port, a process
group of its own, and a teardown that leaves nothing running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def served(db: Path, ready: Callable[[int], bool]) -> Iterator[int]:
    """The server's port, once ``ready(port)`` is true (20 s at most); its
    output goes to ``db``'s ``.log`` and is shown when it does not start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = db.with_suffix(".log")
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "patchdesk", "--db", str(db), "serve", "--port", str(port)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not ready(port):
            assert proc.poll() is None, f"server exited ({proc.returncode}):\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no answer on port {port} in 20 s:\n{log.read_text()}"
            time.sleep(0.2)
        yield port
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        assert not group_alive(proc.pid), "server processes survived teardown"

"""The real-client suite's fixtures: one `backupctl emulate` for the whole session.

Tests take the `emulate` fixture (an `emulate.Emulate`): `emulate.vendor("azure")` gives
that emulator's URL, credentials, ids and control API. A test that counts requests or
backups resets its vendor first (`vendor.reset()`): the server is shared by every test.

Environment: `BACKUPCTL` (the binary; default target/debug/backupctl),
`EMULATE_BACKUP_DURATION` (how long each backup runs; default 2s).
"""

from __future__ import annotations

import os

import pytest

from emulate import ROOT, Emulate, backupctl_path

LOG = ROOT / "target" / "clients-emulate.log"


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"backupctl: {backupctl_path()} (emulate's log: {LOG})"]


@pytest.fixture(scope="session")
def emulate():
    """`backupctl emulate --port 0` serving every vendor, stopped (and checked to exit
    0) at the end of the session."""
    LOG.parent.mkdir(parents=True, exist_ok=True)
    duration = os.environ.get("EMULATE_BACKUP_DURATION", "2s")
    running = Emulate(["--port", "0", "--backup-duration", duration], log=LOG)
    yield running
    code = running.stop()
    assert code == 0, f"backupctl emulate exited {code} on SIGTERM (log: {LOG})"

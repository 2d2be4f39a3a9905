"""`backupctl emulate` from Python: start it, read the JSON object it prints, drive each
emulator's control API (docs/emulators.md).

    from emulate import Emulate

    with Emulate(["--vendor", "azure"]) as emulate:
        azure = emulate.vendor("azure")
        azure.url, azure.credentials["AZURE_ACCESS_TOKEN"], azure.params["vault"]
        azure.lifecycle(outcome="failure", reason="disk full")   # the next backups fail
        azure.inject("trigger", {"kind": "status", "status": 503})
        azure.state()["accepted_backups"]

The tests get a running one through the `emulate` fixture (conftest.py).
"""

from __future__ import annotations

import json
import os
import pathlib
import selectors
import signal
import subprocess
import time
from typing import Any, Optional, Sequence

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
"""The repository's root."""

READY_TIMEOUT_S = 60.0
"""How long `backupctl emulate` may take to print its JSON object."""

STOP_TIMEOUT_S = 30.0
"""How long it may take to stop after SIGTERM."""


def backupctl_path() -> pathlib.Path:
    """The `backupctl` binary: `$BACKUPCTL`, else `target/debug/backupctl`."""
    return pathlib.Path(os.environ.get("BACKUPCTL") or ROOT / "target" / "debug" / "backupctl")


class ControlError(Exception):
    """A control API request that was not answered 200."""

    def __init__(self, status: int, text: str):
        super().__init__(f"HTTP {status}: {text}")
        self.status = status
        self.text = text


class Vendor:
    """One vendor's emulator, as `backupctl emulate` describes it."""

    def __init__(self, name: str, data: dict[str, Any]):
        self.name = name
        self.data = data
        self.service: str = data["service"]
        self.url: str = data["url"]
        """The vendor's API base (`http://127.0.0.1:PORT/`; Commvault's ends in
        `/commandcenter/api/`)."""
        self.control_url: str = data["control_url"]
        """`http://127.0.0.1:PORT/_emulator/`."""
        self.credentials: dict[str, str] = data["credentials"]
        """Every credential it accepts, under the vendor's environment names."""
        self.env: dict[str, str] = data["env"]
        """What `backupctl` (and the vendor's `from_env`) needs in the environment."""
        self.params: dict[str, Any] = data["params"]
        """Ready-to-use ids: the demo backup's parameters."""
        self.config: dict[str, Any] = data["config"]
        """Client settings: endpoints, API version, region."""
        self.trigger: list[str] = data["trigger"]
        """`backupctl trigger <vendor> ...` for the demo backup (credentials from `env`)."""
        self.http = requests.Session()
        self.http.trust_env = False  # never through a proxy

    def __repr__(self) -> str:
        return f"Vendor({self.name!r}, url={self.url!r})"

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """`method <control_url><path>` with a JSON body; the JSON answer, or
        ControlError."""
        data = None if body is None else json.dumps(body)
        answer = self.http.request(method, self.control_url + path, data=data, timeout=30)
        if answer.status_code != 200:
            raise ControlError(answer.status_code, answer.text)
        return answer.json()

    def state(self) -> dict[str, Any]:
        """Accepted backups, tokens issued, requests per class, faults, lifecycle."""
        return self.control("GET", "state")

    def reset(self) -> dict[str, Any]:
        """Forgets faults, the request log, the counts and the vendor's jobs; backups
        unfold as at the start again."""
        return self.control("POST", "reset")

    def lifecycle(self, **fields: Any) -> dict[str, Any]:
        """How the next backups unfold; with fields (`duration_s`, `queued_polls`,
        `running_polls`, `outcome`, `reason`), changes them first."""
        if fields:
            return self.control("POST", "lifecycle", fields)
        return self.control("GET", "lifecycle")

    def inject(self, route: str, fault: dict[str, Any], times: int = 1) -> dict[str, Any]:
        """The next `times` requests of class `route` (auth, trigger, poll, control,
        other, any) get `fault` (`{"kind": "status", "status": 503}` ...)."""
        return self.control("POST", "faults", {"route": route, "times": times, "fault": fault})

    def clear_faults(self) -> dict[str, Any]:
        """Forgets the faults not fired yet."""
        return self.control("DELETE", "faults")

    def requests(self, cls: Optional[str] = None, limit: Optional[int] = None) -> dict[str, Any]:
        """The request log (`counts` and `records`, oldest first)."""
        query = {k: v for k, v in (("class", cls), ("limit", limit)) if v is not None}
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        return self.control("GET", "requests" + suffix)

    def backupctl(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Runs `backupctl args...` with this vendor's environment (and no other
        vendor's credentials from the host)."""
        env = {k: v for k, v in os.environ.items() if not _is_vendor_variable(k)}
        env.update(self.env)
        return subprocess.run(
            [str(backupctl_path()), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _is_vendor_variable(name: str) -> bool:
    prefixes = ("AZURE_", "YC_", "HUAWEICLOUD_", "COMMVAULT_", "VEEAM_", "AWS_", "BACKUPCTL_")
    return name.startswith(prefixes) or name == "RUST_LOG"


class Emulate:
    """A running `backupctl emulate args...`: its JSON object and its vendors.

    Stopped by `stop()` (SIGTERM; returns the exit code) or at the end of a `with`.
    """

    def __init__(self, args: Sequence[str] = (), log: Optional[pathlib.Path] = None):
        binary = backupctl_path()
        if not binary.is_file():
            raise FileNotFoundError(f"{binary} does not exist: build it first (cargo build -p backup-cli)")
        self.args = [str(binary), "emulate", *args]
        self.log_path = log
        stderr = open(log, "w", encoding="utf-8") if log else None  # noqa: SIM115
        self.process = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        if stderr:
            stderr.close()
        line = self._first_line()
        try:
            self.json: dict[str, Any] = json.loads(line)
        except ValueError as error:
            self.process.kill()
            raise RuntimeError(f"{' '.join(self.args)} printed no JSON object: {line!r}") from error
        self.pid: int = self.json["pid"]
        self.exports: list[str] = self.json["exports"]
        self.vendors = {name: Vendor(name, data) for name, data in self.json["vendors"].items()}

    def _first_line(self) -> str:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                line = self.process.stdout.readline()
                if line:
                    return line
                break
        code = self.process.poll()
        self.process.kill()
        raise RuntimeError(
            f"{' '.join(self.args)} printed nothing within {READY_TIMEOUT_S:.0f}s "
            f"(exit code {code}; its log: {self.log_path})"
        )

    def vendor(self, name: str) -> Vendor:
        """The emulator of `name` (`azure`, `huawei-csbs` ...)."""
        try:
            return self.vendors[name]
        except KeyError:
            raise KeyError(f"{name} is not served (served: {', '.join(self.vendors)})") from None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Sends `sig` and waits: the exit code (0 when it stopped cleanly)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        return self.process.returncode

    def __enter__(self) -> "Emulate":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

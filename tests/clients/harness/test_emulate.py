"""The harness itself, with `requests`: `backupctl emulate`'s JSON object, the control
API of every emulator, and the printed `backupctl trigger` command line."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import requests

from emulate import ControlError, backupctl_path


def trigger_subcommands() -> list[str]:
    """The vendors `backupctl trigger --help` lists (the registry's)."""
    text = subprocess.run(
        [str(backupctl_path()), "trigger", "--help"], capture_output=True, text=True, check=True
    ).stdout
    commands = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    # A name starts a line at two spaces; deeper lines continue a description.
    names = [line.split()[0] for line in commands.splitlines() if re.match(r"^  \S", line)]
    return [name for name in names if name != "help"]


def url_variable(name: str) -> str:
    return "BACKUPCTL_EMULATE_" + name.upper().replace("-", "_") + "_URL"


def test_the_json_describes_every_vendor(emulate):
    assert emulate.json["control_prefix"] == "/_emulator"
    assert emulate.json["backup_duration_s"] > 0
    assert emulate.exports[-1] == f"export BACKUPCTL_EMULATE_PID={emulate.pid}"
    assert emulate.pid == emulate.process.pid
    # Every vendor of the registry (the subcommands of `backupctl trigger`) is served.
    assert set(emulate.vendors) == set(trigger_subcommands())
    for name, vendor in emulate.vendors.items():
        assert vendor.url.startswith("http://127.0.0.1:"), name
        port = vendor.url.split(":")[2].split("/")[0]
        assert vendor.control_url == f"http://127.0.0.1:{port}/_emulator/", name
        assert vendor.credentials, name
        assert vendor.params, name
        assert vendor.trigger[:3] == ["backupctl", "trigger", name]
        assert vendor.env[url_variable(name)] == vendor.url
        for variable, value in vendor.env.items():
            line = next(l for l in emulate.exports if l.startswith(f"export {variable}="))
            assert line in (f"export {variable}={value}", f"export {variable}='{value}'"), line


def test_the_control_api_steers_every_emulator(emulate):
    for name, vendor in emulate.vendors.items():
        vendor.reset()
        assert vendor.state()["accepted_backups"] == 0, name
        initial = vendor.lifecycle()
        assert initial["outcome"] == "success" and initial["duration_s"] > 0, name

        failing = vendor.lifecycle(outcome="failure", reason="disk full")
        assert failing == {**initial, "outcome": "failure", "reason": "disk full"}, name
        assert vendor.lifecycle() == failing, name

        # Any next request gets exactly this answer, whatever the vendor would say.
        body = json.dumps({"injected": name})
        assert vendor.inject("any", {"kind": "respond", "status": 418, "body": body}) == {
            "pending": 1,
            "fired": 0,
        }
        answer = requests.get(vendor.url + "nowhere?x=1", timeout=30)
        assert (answer.status_code, answer.text) == (418, body), name
        assert answer.headers["content-type"] == "application/json"
        log = vendor.requests()
        assert log["counts"]["total"] == 1, (name, log)
        record = log["records"][-1]
        assert record["method"] == "GET" and record["target"].endswith("nowhere?x=1"), record
        assert record["fault"] == {
            "kind": "respond",
            "status": 418,
            "content_type": "application/json",
            "body": body,
        }
        assert vendor.state()["faults"] == {"pending": 0, "fired": 1}, name

        with pytest.raises(ControlError) as refused:
            vendor.lifecycle(duration=3)
        assert refused.value.status == 400
        assert "unknown field `duration`" in refused.value.text

        reset = vendor.reset()
        assert reset["lifecycle"] == initial, name
        assert reset["faults"] == {"pending": 0, "fired": 0}, name
        assert reset["requests"]["total"] == 0, name


def test_the_printed_trigger_command_backs_up(emulate):
    for name, vendor in emulate.vendors.items():
        vendor.reset()
        run = vendor.backupctl(
            *vendor.trigger[1:], "--wait", "--poll-interval", "200ms", "--output", "json"
        )
        assert run.returncode == 0, (name, run.stdout, run.stderr)
        operations = [json.loads(line) for line in run.stdout.splitlines()]
        assert operations and all(op["status"] == "succeeded" for op in operations), operations
        state = vendor.state()
        assert state["accepted_backups"] >= 1, (name, state)
        assert state["requests"]["trigger"] == 1, (name, state)

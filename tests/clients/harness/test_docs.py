"""docs/emulators.md, run: its `sh` blocks in order in one shell, each `python` block,
the `run:` steps of its CI example, and its JSON sample against what `backupctl
emulate` prints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

from emulate import ROOT, backupctl_path

DOC = ROOT / "docs" / "emulators.md"


def blocks(language: str) -> list[str]:
    """The fenced blocks of the page in `language`, in order."""
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.S | re.M)


def environment(tmp_path) -> dict[str, str]:
    """The host's environment without any vendor's variable, `backupctl` on the PATH."""
    prefixes = ("AZURE_", "YC_", "HUAWEICLOUD_", "COMMVAULT_", "VEEAM_", "AWS_", "BACKUPCTL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k != "RUST_LOG"}
    env["PATH"] = f"{backupctl_path().parent}{os.pathsep}{env.get('PATH', '')}"
    env["RUNNER_TEMP"] = str(tmp_path)
    return env


def run_shell(script: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        env=environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_shell_blocks_run_in_order(tmp_path):
    scripts = blocks("sh")
    assert len(scripts) >= 4
    assert scripts[0].count("backupctl emulate --detach --print-env") == 1
    assert "kill" in scripts[-1]
    run = run_shell("\n".join(scripts) + '\necho; echo "stopped=$BACKUPCTL_EMULATE_PID"', tmp_path)
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert "failed, as asked (exit 1)" in run.stdout, run.stdout
    # The last block stopped the background process the first one started.
    pid = int(re.search(r"^stopped=(\d+)$", run.stdout, flags=re.M).group(1))
    deadline = time.monotonic() + 30
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(pid)


def running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_python_blocks_run(tmp_path):
    scripts = blocks("python")
    assert scripts
    for script in scripts:
        run = subprocess.run(
            [sys.executable, "-c", script],
            env=environment(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, (script, run.stdout, run.stderr)


def test_the_ci_steps_run(tmp_path):
    (yaml,) = blocks("yaml")
    steps = []
    lines = yaml.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "run: |":
            indent = len(line) - len(line.lstrip()) + 2
            body = []
            for following in lines[i + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) < indent:
                    break
                body.append(following[indent:])
            steps.append("\n".join(body))
    assert len(steps) == 3, yaml
    for step in steps:
        run = run_shell(step, tmp_path)
        assert run.returncode == 0, (step, run.stdout, run.stderr)


def test_the_json_sample_has_the_keys_printed(emulate):
    (sample,) = blocks("json")
    documented = json.loads(sample)
    assert sorted(documented) == sorted(emulate.json)
    (vendor,) = documented["vendors"]
    assert sorted(documented["vendors"][vendor]) == sorted(emulate.vendor(vendor).data)
    # The documented values are those of the vendor's emulator, its port and pid aside.
    live = emulate.vendor(vendor)
    port = re.compile(r"127\.0\.0\.1:\d+")
    same = lambda value: port.sub("127.0.0.1:PORT", json.dumps(value, sort_keys=True))  # noqa: E731
    for key in ("credentials", "params", "config", "env", "trigger", "service", "url"):
        assert same(documented["vendors"][vendor][key]) == same(live.data[key]), key

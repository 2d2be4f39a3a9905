#!/usr/bin/env bash
# The real-client suite: the vendors' own clients (and curl) against `backupctl emulate`.
#
#   tests/clients/run.sh [pytest arguments...]
#
# 1. Makes (or reuses) the virtual environment target/clients-venv from
#    tests/clients/requirements.txt (remade whenever that file changes).
# 2. Runs pytest on tests/clients (conftest.py starts `backupctl emulate` once).
# 3. Starts `backupctl emulate --detach --print-env`, and runs every
#    tests/clients/*/curl.sh in its environment.
# Fails when python3 or the virtual environment cannot be made: nothing is skipped.
#
# Environment: BACKUPCTL (default target/debug/backupctl, which must be built),
# PYTHON (default python3).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export BACKUPCTL=${BACKUPCTL:-$root/target/debug/backupctl}
export PYTHONDONTWRITEBYTECODE=1
python=${PYTHON:-python3}
venv=$root/target/clients-venv

die() {
    echo "tests/clients/run.sh: $*" >&2
    exit 1
}

[ -x "$BACKUPCTL" ] || die "$BACKUPCTL is missing: build it first (cargo build -p backup-cli)"
command -v "$python" >/dev/null || die "$python is not installed: the real-client suite needs Python 3 with venv and pip"
command -v curl >/dev/null || die "curl is not installed: the curl checks need it"

# The venv, remade when requirements.txt (or the Python it was made with) changes.
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version)' | head -1)"
stamp=$venv/.requirements
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "tests/clients/run.sh: making $venv from tests/clients/requirements.txt"
    rm -rf "$venv"
    "$python" -m venv "$venv" || die "cannot make the virtual environment $venv ($python -m venv)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$here/requirements.txt" || die "cannot install tests/clients/requirements.txt into $venv"
    printf '%s' "$want" >"$stamp"
fi

failed=()

echo "tests/clients/run.sh: pytest"
(cd "$here" && "$venv/bin/python" -m pytest -c "$here/pytest.ini" "$@") || failed+=(pytest)

echo "tests/clients/run.sh: curl checks"
env_lines=$("$BACKUPCTL" emulate --detach --print-env --backup-duration 2s) ||
    die "backupctl emulate --detach did not start"
eval "$env_lines"
trap 'kill "$BACKUPCTL_EMULATE_PID" 2>/dev/null' EXIT
passed=0
curl_failed=0
for script in "$here"/*/curl.sh; do
    [ -e "$script" ] || continue
    name=${script#"$here"/}
    if bash "$script"; then
        passed=$((passed + 1))
    else
        echo "tests/clients/run.sh: FAILED $name" >&2
        curl_failed=$((curl_failed + 1))
        failed+=("$name")
    fi
done
echo "curl: $passed passed, $curl_failed failed"

if [ ${#failed[@]} -ne 0 ]; then
    die "failed: ${failed[*]}"
fi
echo "tests/clients/run.sh: every real-client check passed"

#!/usr/bin/env bash
# Creates the virtual environment the real-client tests run in (target/real-clients/venv,
# never committed) and installs the pinned clients from PyPI:
#     bash crates/backup-aws/tests/real_clients/setup-venv.sh
# then `cargo test -p backup-aws --all-features --test it real_clients::` runs them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
venv="$root/target/real-clients/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c 'import boto3; print("boto3", boto3.__version__)'

"""The peers of backup-rs in `cargo xtask bench --peers`: the official Python SDKs a
user would pick instead, against the same emulator as backup-rs (`backup-bench
emulate`, in another process).

    python peers.py percall VENDOR CALLS REACH_JSON   # CPU per trigger and status call
    python peers.py oneshot VENDOR REACH_JSON OPERATION_ID   # one status read, then exit

REACH_JSON is a file with the emulator's settings, environment and demo parameters
(`backup-bench`'s `Reach`). `percall` prints one JSON object: the process CPU time
(`time.process_time`, user + system) per call, in microseconds, after a warm-up call,
and the id of the last operation (for `oneshot`). `oneshot` is timed from outside as a
whole process (interpreter start and imports included), as a user's script runs.

Azure: Microsoft's `azure-mgmt-recoveryservicesbackup`: `backups.trigger` (a POST
answered 202, nothing returned) and `backup_operation_statuses.get` of the trigger's
operation (one GET). The emulator serves plain http on loopback, so the SDK gets the
emulator's static token through a minimal `TokenCredential` and `enforce_https=False`.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import urlsplit

HTTP = {"enforce_https": False}


def azure_client(reach):
    from azure.core.credentials import AccessToken
    from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

    token = dict(reach["env"])["AZURE_ACCESS_TOKEN"]

    class StaticToken:
        def get_token(self, *scopes, **kwargs):
            return AccessToken(token, int(time.time()) + 3600)

    return RecoveryServicesBackupClient(
        credential=StaticToken(),
        subscription_id=reach["params"]["subscription"],
        base_url=reach["config"]["endpoint"].rstrip("/"),
    )


def azure_trigger(sdk, params):
    from azure.mgmt.recoveryservicesbackup.models import (
        BackupRequestResource,
        IaasVMBackupRequest,
    )

    response = sdk.backups.trigger(
        params["vault"],
        params["resource_group"],
        params["fabric"],
        params["container"],
        params["item"],
        BackupRequestResource(properties=IaasVMBackupRequest()),
        cls=lambda pipeline_response, deserialized, headers: pipeline_response,
        **HTTP,
    )
    url = response.http_response.headers["Azure-AsyncOperation"]
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def azure_status(sdk, params, operation_id):
    status = sdk.backup_operation_statuses.get(
        params["vault"], params["resource_group"], operation_id, **HTTP
    )
    assert status.status, status
    return status


def per_call(calls, function):
    function()  # warm-up: imports, connection
    before = time.process_time()
    for _ in range(calls):
        last = function()
    return (time.process_time() - before) * 1e6 / calls, last


def main(argv):
    command, vendor = argv[1], argv[2]
    if vendor != "azure":
        raise SystemExit(f"peers.py: no peer for {vendor} yet")
    if command == "percall":
        calls = int(argv[3])
        reach = json.load(open(argv[4]))
        params = reach["params"]
        sdk = azure_client(reach)
        trigger_us, operation_id = per_call(calls, lambda: azure_trigger(sdk, params))
        status_us, _ = per_call(calls, lambda: azure_status(sdk, params, operation_id))
        print(json.dumps({
            "vendor": vendor,
            "calls": calls,
            "trigger_cpu_us": trigger_us,
            "status_cpu_us": status_us,
            "operation_id": operation_id,
        }))
    elif command == "oneshot":
        reach = json.load(open(argv[3]))
        azure_status(azure_client(reach), reach["params"], argv[4])
    else:
        raise SystemExit(f"peers.py: unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)

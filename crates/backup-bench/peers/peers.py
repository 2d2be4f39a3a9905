"""The peers of backup-rs in `cargo xtask bench --peers`: the official Python SDKs a
user would pick instead, against the same emulator as backup-rs (`backup-bench
emulate`, in another process).

    python peers.py percall VENDOR CALLS REACH_JSON [REFERENCE_ID]   # CPU per call
    python peers.py oneshot VENDOR REACH_JSON OPERATION_ID   # one status read, then exit

REACH_JSON is a file with the emulator's settings, environment and demo parameters
(`backup-bench`'s `Reach`); REFERENCE_ID the id of the last operation backup-rs started
there (Commvault's peer reads that job). `percall` prints one JSON object: the process
CPU time (`time.process_time`, user + system) per call, in microseconds, after a warm-up
call (`trigger_cpu_us` only for a peer that triggers), and for Azure the id of the last
operation (for `oneshot`, Azure only). `oneshot` is timed from outside as a whole
process (interpreter start and imports included), as a user's script runs.

Azure: Microsoft's `azure-mgmt-recoveryservicesbackup`: `backups.trigger` (a POST
answered 202, nothing returned) and `backup_operation_statuses.get` of the trigger's
operation (one GET). The emulator serves plain http on loopback, so the SDK gets the
emulator's static token through a minimal `TokenCredential` and `enforce_https=False`.

Huawei CSBS: `huaweicloudsdkcore` (Huawei publishes no CSBS package for its current
SDK), used as every generated `huaweicloudsdk*` service client uses it, as the
real-client suite does (tests/clients/huawei-csbs): a `Client` built with
`BasicCredentials(ak, sk, project_id)`, so each request is signed by the SDK's own
`SDK-HMAC-SHA256` signer, and `do_http_request` on the documented paths, answers
deserialized into `SdkResponse` models. The trigger is "create checkpoint" (the POST
backup-rs sends); the status read makes the requests backup-rs's status makes: the
checkpoint's items (`GET checkpoint_items?checkpoint_id=`), then each item (`GET
checkpoint_items/{id}`).

Commvault: cvpysdk, logged in as the real-client suite does (tests/clients/commvault:
`Commcell(host, web_service_url=<API base>, username, password)`: service probe, then
Login). The status read is cvpysdk's `Job(commcell, job_id).status` on the job backup-rs
started last: `Job` is built once (warm-up), then each `status` read is what cvpysdk
sends for it, `GET Job/{id}` and `POST JobDetails`. cvpysdk has no call that triggers
the backup backup-rs's demo request starts (CreateTask for the demo subclient), so
there is no trigger peer.
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


CSBS_PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
"""CSBS's fixed provider id (the one backup-rs sends)."""


def huawei_client(reach):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.client import Client, ClientBuilder
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.sdk_response import SdkResponse

    def response(name, fields):
        """An `SdkResponse` model with untyped fields, as generated clients define theirs."""

        def __init__(self, **values):
            SdkResponse.__init__(self)
            for field in fields:
                setattr(self, field, values.get(field))

        return type(name, (SdkResponse,), {
            "openapi_types": {field: "object" for field in fields},
            "attribute_map": {field: field for field in fields},
            "__init__": __init__,
        })

    models = type("Models", (), {
        "CreateCheckpointResponse": response("CreateCheckpointResponse", ["checkpoint"]),
        "ListBackupsResponse": response("ListBackupsResponse", ["checkpoint_items", "count"]),
        "ShowBackupResponse": response("ShowBackupResponse", ["checkpoint_item"]),
    })

    class CsbsClient(Client):
        def __init__(self):
            super().__init__()
            self.model_package = models

        def create_checkpoint(self, plan_id):
            return self.do_http_request(
                "POST",
                "/v1/{project_id}/providers/{provider_id}/checkpoints",
                path_params={"provider_id": CSBS_PROVIDER_ID},
                header_params={"Content-Type": "application/json"},
                body={"checkpoint": {"plan_id": plan_id, "parameters": {"auto_trigger": False}}},
                response_type="CreateCheckpointResponse",
            )

        def list_backups(self, **filters):
            return self.do_http_request(
                "GET",
                "/v1/{project_id}/checkpoint_items",
                query_params=list(filters.items()),
                header_params={},
                response_type="ListBackupsResponse",
            )

        def show_backup(self, item_id):
            return self.do_http_request(
                "GET",
                "/v1/{project_id}/checkpoint_items/{checkpoint_item_id}",
                path_params={"checkpoint_item_id": item_id},
                header_params={},
                response_type="ShowBackupResponse",
            )

    env = dict(reach["env"])
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    credentials = BasicCredentials(
        env["HUAWEICLOUD_SDK_AK"], env["HUAWEICLOUD_SDK_SK"], reach["config"]["project_id"]
    )
    return (
        ClientBuilder(CsbsClient)
        .with_credentials(credentials)
        .with_endpoints([reach["config"]["endpoint"].rstrip("/")])
        .with_http_config(config)
        .build()
    )


def huawei_trigger(sdk, params):
    created = sdk.create_checkpoint(params["plan"])
    assert created.status_code == 200, created
    return created.checkpoint["id"]


def huawei_status(sdk, checkpoint_id):
    listed = sdk.list_backups(checkpoint_id=checkpoint_id)
    assert listed.status_code == 200, listed
    items = [sdk.show_backup(item["id"]).checkpoint_item for item in listed.checkpoint_items]
    assert all(item["status"] for item in items), items
    return items


def commvault_commcell(reach):
    from cvpysdk.commcell import Commcell

    env = dict(reach["env"])
    base = reach["config"]["endpoint"].rstrip("/")
    return Commcell(
        base.split("/")[2],
        web_service_url=base,
        commcell_username=env["COMMVAULT_USERNAME"],
        commcell_password=env["COMMVAULT_PASSWORD"],
    )


def huawei_percall(reach, calls, reference_id):
    sdk = huawei_client(reach)
    trigger_us, checkpoint_id = per_call(calls, lambda: huawei_trigger(sdk, reach["params"]))
    status_us, items = per_call(calls, lambda: huawei_status(sdk, checkpoint_id))
    assert items, f"no item listed for checkpoint {checkpoint_id}"
    return {"trigger_cpu_us": trigger_us, "status_cpu_us": status_us}


def commvault_percall(reach, calls, reference_id):
    from cvpysdk.job import Job

    if not reference_id:
        raise SystemExit("peers.py: commvault needs the job id backup-rs started")
    commcell = commvault_commcell(reach)
    job = Job(commcell, reference_id)  # GET Job/{id} (twice) and POST JobDetails
    status_us, status = per_call(calls, lambda: job.status)
    assert status, status
    return {"status_cpu_us": status_us, "job_status": status}


def per_call(calls, function):
    function()  # warm-up: imports, connection
    before = time.process_time()
    for _ in range(calls):
        last = function()
    return (time.process_time() - before) * 1e6 / calls, last


def azure_percall(reach, calls, reference_id):
    params = reach["params"]
    sdk = azure_client(reach)
    trigger_us, operation_id = per_call(calls, lambda: azure_trigger(sdk, params))
    status_us, _ = per_call(calls, lambda: azure_status(sdk, params, operation_id))
    return {"trigger_cpu_us": trigger_us, "status_cpu_us": status_us, "operation_id": operation_id}


PERCALL = {
    "azure": azure_percall,
    "huawei-csbs": huawei_percall,
    "commvault": commvault_percall,
}
"""The vendors with a peer, and how each measures its calls."""


def main(argv):
    command, vendor = argv[1], argv[2]
    if command == "percall":
        if vendor not in PERCALL:
            raise SystemExit(f"peers.py: no peer for {vendor}")
        calls = int(argv[3])
        reach = json.load(open(argv[4]))
        reference_id = argv[5] if len(argv) > 5 else None
        measured = PERCALL[vendor](reach, calls, reference_id)
        print(json.dumps({"vendor": vendor, "calls": calls, **measured}))
    elif command == "oneshot":
        if vendor != "azure":
            raise SystemExit(f"peers.py: no one-shot for {vendor}")
        reach = json.load(open(argv[3]))
        azure_status(azure_client(reach), reach["params"], argv[4])
    else:
        raise SystemExit(f"peers.py: unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)

"""Huawei's own Python SDK core, `huaweicloudsdkcore`, against the CSBS emulator.

Huawei publishes no CSBS package for its current Python SDK (CSBS's successor is CBR), so
the calls are made the way every generated `huaweicloudsdk*` service client makes them:
a `huaweicloudsdkcore.client.Client` with `BasicCredentials(ak, sk, project_id)` (which
adds `X-Project-Id` and signs each request with the SDK's `SDK-HMAC-SHA256` signer),
`do_http_request` on the documented paths, answers deserialized into `SdkResponse`
models and error bodies into the SDK's exceptions.

Both directions of the signature are checked: the emulator's verifier accepts what the
SDK signs (create checkpoint, list and show backups, odd query strings) and refuses a
wrong key; and the SDK's signer, given what `backupctl` sent, computes the very
signature `backupctl` sent.
"""

from __future__ import annotations

import datetime
import http.server
import json
import threading
import time
import types
import urllib.parse

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.client import Client, ClientBuilder
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.sdk_response import SdkResponse
from huaweicloudsdkcore.signer.signer import Signer

VENDOR = "huawei-csbs"
PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
"""CSBS's fixed provider id ("Executing a Backup Policy", Table 1)."""
CREATE = "/v1/{project_id}/providers/{provider_id}/checkpoints"
LIST = "/v1/{project_id}/checkpoint_items"
SHOW = "/v1/{project_id}/checkpoint_items/{checkpoint_item_id}"
DEADLINE_S = 60.0
"""How long a backup may take to be listed and end (each runs 2 s on the clock)."""


def _response(name: str, fields: list[str]) -> type:
    """An `SdkResponse` model with untyped fields, as the generated clients define
    theirs."""

    def __init__(self, **values):
        SdkResponse.__init__(self)
        for field in fields:
            setattr(self, field, values.get(field))

    return type(
        name,
        (SdkResponse,),
        {
            "openapi_types": {field: "object" for field in fields},
            "attribute_map": {field: field for field in fields},
            "__init__": __init__,
        },
    )


MODELS = types.SimpleNamespace(
    CreateCheckpointResponse=_response("CreateCheckpointResponse", ["checkpoint"]),
    ListBackupsResponse=_response("ListBackupsResponse", ["checkpoint_items", "count"]),
    ShowBackupResponse=_response("ShowBackupResponse", ["checkpoint_item"]),
)


class CsbsClient(Client):
    """A CSBS client on the SDK core."""

    def __init__(self):
        super().__init__()
        self.model_package = MODELS

    def create_checkpoint(self, plan_id: str, resources: list[str] | None = None):
        parameters: dict = {"auto_trigger": False}
        if resources:
            parameters["resources"] = resources
        return self.do_http_request(
            "POST",
            CREATE,
            path_params={"provider_id": PROVIDER_ID},
            header_params={"Content-Type": "application/json"},
            body={"checkpoint": {"plan_id": plan_id, "parameters": parameters}},
            response_type="CreateCheckpointResponse",
        )

    def list_backups(self, **filters):
        return self.do_http_request(
            "GET",
            LIST,
            query_params=list(filters.items()),
            header_params={},
            response_type="ListBackupsResponse",
        )

    def show_backup(self, item_id: str):
        return self.do_http_request(
            "GET",
            SHOW,
            path_params={"checkpoint_item_id": item_id},
            header_params={},
            response_type="ShowBackupResponse",
        )


def sdk_client(vendor, ak: str | None = None, sk: str | None = None) -> CsbsClient:
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    credentials = BasicCredentials(
        ak or vendor.credentials["HUAWEICLOUD_SDK_AK"],
        sk or vendor.credentials["HUAWEICLOUD_SDK_SK"],
        vendor.config["project_id"],
    )
    return (
        ClientBuilder(CsbsClient)
        .with_credentials(credentials)
        .with_endpoints([vendor.url.rstrip("/")])
        .with_http_config(config)
        .build()
    )


@pytest.fixture
def vendor(emulate):
    vendor = emulate.vendor(VENDOR)
    vendor.reset()
    return vendor


def wait_for_items(client: CsbsClient, checkpoint_id: str) -> list[dict]:
    """The checkpoint's backups, once listed (right after creation none are)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        listed = client.list_backups(checkpoint_id=checkpoint_id)
        assert listed.status_code == 200
        if listed.checkpoint_items:
            assert listed.count == len(listed.checkpoint_items)
            return listed.checkpoint_items
        time.sleep(0.2)
    pytest.fail(f"no backup of checkpoint {checkpoint_id} listed within {DEADLINE_S}s")


def wait_until_available(client: CsbsClient, item_id: str) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        shown = client.show_backup(item_id)
        assert shown.status_code == 200
        item = shown.checkpoint_item
        if item["status"] == "available":
            return item
        assert item["status"] in ("waiting_protect", "protecting"), item
        time.sleep(0.2)
    pytest.fail(f"backup {item_id} not available within {DEADLINE_S}s")


def test_sdk_signed_create_checkpoint_is_accepted(vendor):
    client = sdk_client(vendor)
    created = client.create_checkpoint(vendor.params["plan"])
    assert created.status_code == 200
    checkpoint = created.checkpoint
    assert checkpoint["status"] == "protecting"
    assert checkpoint["project_id"] == vendor.config["project_id"]
    assert checkpoint["protection_plan"]["id"] == vendor.params["plan"]
    assert checkpoint["protection_plan"]["resources"], checkpoint
    # `created_at` as the document writes it: 2016-12-06T21:20:29.898823 (UTC).
    datetime.datetime.strptime(checkpoint["created_at"], "%Y-%m-%dT%H:%M:%S.%f")
    assert json.loads(checkpoint["extra_info"]) == {"created_by": "manual"}
    state = vendor.state()
    assert state["accepted_backups"] == 1
    assert vendor.requests(cls="trigger")["counts"]["trigger"] == 1
    wait_for_items(client, checkpoint["id"])


def test_sdk_lists_and_shows_each_backup_to_its_end(vendor):
    client = sdk_client(vendor)
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    checkpoint = client.create_checkpoint(vendor.params["plan"]).checkpoint
    items = wait_for_items(client, checkpoint["id"])
    resources = {r["id"] for r in checkpoint["protection_plan"]["resources"]}
    assert {item["resource_id"] for item in items} == resources
    for listed in items:
        assert listed["checkpoint_id"] == checkpoint["id"]
        item = wait_until_available(client, listed["id"])
        info = item["extend_info"]
        assert info["progress"] == 100
        assert info["auto_trigger"] is False
        assert info["resource_name"]
        assert info["taskid"]
        datetime.datetime.strptime(info["finished_at"], "%Y-%m-%dT%H:%M:%S.%f")
        # The backup's capacity (MB) is its disks' ("Querying a Single Backup").
        assert info["size"] > 0
        assert info["size"] == sum(volume["size"] for volume in info["volume_backups"])
        assert info["fail_code"] == {} and info["fail_reason"] == ""

    # The documented filters: the policy's backups started since a time.
    start = before.strftime("%Y-%m-%dT%H:%M:%S.%f")
    by_policy = client.list_backups(policy_id=vendor.params["plan"], start_time=start)
    assert {item["id"] for item in by_policy.checkpoint_items} == {item["id"] for item in items}
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M:%S.%f"
    )
    assert client.list_backups(policy_id=vendor.params["plan"], start_time=later).checkpoint_items == []
    assert vendor.state()["accepted_backups"] == 1


def test_sdk_signs_query_strings_the_emulator_verifies(vendor):
    client = sdk_client(vendor)
    # Reserved characters, spaces, a plus, non-ASCII and repeated sorting keys: the
    # SDK's canonical query string and the emulator's must agree.
    listed = client.list_backups(
        name="backup 1+2/ü", sort="created_at:desc,name:asc", limit=10, status="available"
    )
    assert listed.status_code == 200
    assert listed.checkpoint_items == []


def test_sdk_reads_the_vendors_error_bodies(vendor):
    client = sdk_client(vendor)
    first = client.create_checkpoint(vendor.params["plan"]).checkpoint
    with pytest.raises(exceptions.ServerResponseException) as refused:
        client.create_checkpoint(vendor.params["plan"])
    assert refused.value.status_code == 500
    assert refused.value.error_code == "CSBS.1001"
    assert refused.value.error_msg == "The policy is executing backup."
    assert refused.value.request_id
    assert vendor.state()["accepted_backups"] == 1

    with pytest.raises(exceptions.ClientRequestException) as missing:
        client.show_backup("00000000-0000-0000-0000-000000000000")
    assert missing.value.status_code == 404
    assert missing.value.error_code == "CSBS.9001"
    wait_for_items(client, first["id"])


@pytest.mark.parametrize("ak, sk", [(None, "not-the-secret"), ("UNKNOWNACCESSKEY0001", None)])
def test_sdk_with_a_wrong_key_is_refused(vendor, ak, sk):
    client = sdk_client(vendor, ak=ak, sk=sk)
    with pytest.raises(exceptions.ClientRequestException) as refused:
        client.create_checkpoint(vendor.params["plan"])
    assert refused.value.status_code == 401
    assert refused.value.error_code == "APIGW.0301"
    assert vendor.state()["accepted_backups"] == 0


class _Capture(http.server.BaseHTTPRequestHandler):
    """Records each request and answers as CSBS does, for `backupctl` to talk to."""

    protocol_version = "HTTP/1.1"
    project = ""
    checkpoint = "14626f11-b54a-44ea-8e69-7463e527506a"
    item = "94eba8b2-acc9-4d82-badc-127144cc5526"

    def log_message(self, *args):  # no noise on stderr
        pass

    def _answer(self, body: dict):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.captured.append(
            {
                "method": self.command,
                "target": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
        )
        return body

    def do_POST(self):
        self._record()
        self._answer(
            {
                "checkpoint": {
                    "status": "protecting",
                    "created_at": "2016-12-06T21:20:29.898823",
                    "id": self.checkpoint,
                    "project_id": self.project,
                    "protection_plan": {"id": "plan", "name": "backup", "resources": []},
                }
            }
        )

    def do_GET(self):
        self._record()
        item = {
            "id": self.item,
            "status": "available",
            "checkpoint_id": self.checkpoint,
            "resource_id": "7a32a8b5-7977-4e24-b5da-e0eb457db75b",
            "created_at": "2016-12-06T21:20:31.000000",
            "extend_info": {"progress": 100, "size": 1024, "finished_at": "2016-12-06T21:25:31.000000"},
        }
        if urllib.parse.urlsplit(self.path).path.endswith("/checkpoint_items"):
            self._answer({"checkpoint_items": [item], "count": 1})
        else:
            self._answer({"checkpoint_item": item})


def sdk_authorization(captured: dict, ak: str, sk: str) -> str:
    """The `Authorization` the SDK's signer computes for a request as it was received:
    the headers `backupctl` signed, its `X-Sdk-Date`, its path, query and body."""
    authorization = captured["headers"]["authorization"]
    signed = authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    url = urllib.parse.urlsplit(captured["target"])
    request = SdkRequest(
        method=captured["method"],
        schema="http",
        host=captured["headers"]["host"],
        resource_path=url.path,
        query_params=urllib.parse.parse_qsl(url.query, keep_blank_values=True),
        header_params={name: captured["headers"][name] for name in signed},
        body=captured["body"],
    )
    Signer(BasicCredentials(ak, sk)).sign(request)
    return request.header_params["Authorization"]


def test_sdk_signer_computes_the_signatures_backupctl_sends(vendor):
    project = vendor.config["project_id"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    server.captured = []
    _Capture.project = project
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        endpoints = ["--endpoint", url, "--iam-endpoint", url, "--project-id", project]
        triggered = vendor.backupctl(
            "trigger", VENDOR, "--plan", vendor.params["plan"], "--resource",
            "7a32a8b5-7977-4e24-b5da-e0eb457db75b", *endpoints,
        )
        assert triggered.returncode == 0, triggered.stderr
        reference = f"{VENDOR}:{project}/{_Capture.checkpoint}"
        assert reference in triggered.stdout
        status = vendor.backupctl("status", reference, *endpoints)
        assert status.returncode == 0, status.stderr
    finally:
        server.shutdown()
        server.server_close()
    methods = [(c["method"], urllib.parse.urlsplit(c["target"]).path) for c in server.captured]
    assert methods == [
        ("POST", f"/v1/{project}/providers/{PROVIDER_ID}/checkpoints"),
        ("GET", f"/v1/{project}/checkpoint_items"),
        ("GET", f"/v1/{project}/checkpoint_items/{_Capture.item}"),
    ]
    ak = vendor.credentials["HUAWEICLOUD_SDK_AK"]
    sk = vendor.credentials["HUAWEICLOUD_SDK_SK"]
    for captured in server.captured:
        assert captured["headers"]["authorization"] == sdk_authorization(captured, ak, sk), captured
    # The POST signs its JSON body and its content type; the list signs its query.
    assert "content-type;host;x-sdk-date" in server.captured[0]["headers"]["authorization"]
    assert urllib.parse.urlsplit(server.captured[1]["target"]).query == f"checkpoint_id={_Capture.checkpoint}"

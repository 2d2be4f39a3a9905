"""Yandex's own Python SDK, `yandexcloud`, against the Yandex Cloud Backup emulator.

`yandexcloud` talks gRPC, which the emulator does not serve (it serves Yandex's REST
mapping), so the SDK is used where it touches REST or defines it:

- every body the emulator answers (IAM token answers, `Policy.Execute` and Operation API
  operations, `Backup.List`, error bodies) is parsed with the protobuf descriptors the
  SDK ships (`yandex.cloud.operation.operation_pb2`, `yandex.cloud.backup.v1.*_pb2`,
  `yandex.cloud.iam.v1.iam_token_service_pb2`, `google.rpc.*_pb2`) by
  `json_format.Parse(..., ignore_unknown_fields=False)`: a field the protos do not have,
  a wrong type or an `Any` of an unknown type fails the test;
- requests are built from the SDK's own messages (`ExecuteRequest`, the
  `CreateIamTokenRequest` that `TokenAuth` and `ServiceAccountAuth` make, with the JWT
  the SDK signs) and sent as their proto3 JSON;
- the SDK's one HTTP call, the VM metadata token (`yandexcloud.auth.get_auth_token`),
  is made against the emulator.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time
import uuid
from typing import Any, Optional
from urllib.parse import urlsplit

# pytest (`--import-mode=importlib`, no `__init__.py`) imports this file as
# `yandex.test_protos` and registers this directory as the module `yandex`, which hides
# the SDK's top-level package of the same name. Drop that stand-in, so that the imports
# below find the SDK's `yandex` (a regular package wins over this namespace directory).
_HERE = str(pathlib.Path(__file__).resolve().parent)
_stand_in = sys.modules.get("yandex")
if _stand_in is not None and _HERE in [str(pathlib.Path(p).resolve()) for p in getattr(_stand_in, "__path__", [])]:
    del sys.modules["yandex"]

import pytest
import requests
from google.protobuf import empty_pb2, json_format
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

import yandexcloud.auth
from emulate import ROOT
from yandex.cloud.backup.v1 import backup_pb2, backup_service_pb2, policy_service_pb2
from yandex.cloud.iam.v1 import iam_token_service_pb2
from yandex.cloud.operation import operation_pb2
from yandexcloud._auth_fabric import ServiceAccountAuth, TokenAuth

VENDOR = "yandex"
UNAPPLIED_INSTANCE = "fhm0otherinstance002"
"""An instance the emulator knows that the demo policy is not applied to
(`backup_yandex::emulator::DEMO_UNAPPLIED_INSTANCE_ID`)."""
DEMO_KEY = ROOT / "crates" / "backup-yandex" / "src" / "emulator" / "demo-key.json"
"""The emulator's test-only service-account authorized key."""
DEADLINE_S = 60.0
"""How long a backup may take to end (each runs 2 s on the clock)."""


def parse(text: str, message: Message) -> Message:
    """`text` as `message`, refusing any field the protos do not define."""
    return json_format.Parse(text, message, ignore_unknown_fields=False)


def request_info(status: status_pb2.Status) -> str:
    """The `requestId` of the `google.rpc.RequestInfo` detail of `status`."""
    infos = [d for d in status.details if d.Is(error_details_pb2.RequestInfo.DESCRIPTOR)]
    assert len(infos) == 1, status
    info = error_details_pb2.RequestInfo()
    assert infos[0].Unpack(info)
    return info.request_id


class Yandex:
    """The emulator's REST APIs with an IAM token, every answer parsed by the protos."""

    def __init__(self, vendor: Any):
        self.vendor = vendor
        self.url = vendor.url
        self.http = requests.Session()
        self.http.trust_env = False
        self.token = self.exchange(TokenAuth(vendor.credentials["YC_TOKEN"]).get_token_request()).iam_token
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def exchange(self, request: iam_token_service_pb2.CreateIamTokenRequest):
        answer = self.http.post(
            self.url + "iam/v1/tokens", data=json_format.MessageToJson(request), timeout=30
        )
        assert answer.status_code == 200, answer.text
        return parse(answer.text, iam_token_service_pb2.CreateIamTokenResponse())

    def execute(self, instance: Optional[str] = None, key: Optional[str] = None) -> requests.Response:
        params = self.vendor.params
        request = policy_service_pb2.ExecuteRequest(
            policy_id=params["policy"], compute_instance_id=instance or params["instance"]
        )
        body = json_format.MessageToDict(request)
        # `post: "/backup/v1/policies/{policy_id}:execute"`, `body: "*"`: the fields the
        # path binds are not in the body.
        del body["policyId"]
        return self.http.post(
            f"{self.url}backup/v1/policies/{request.policy_id}:execute",
            json=body,
            headers={"Idempotency-Key": key or str(uuid.uuid4())},
            timeout=30,
        )

    def operation(self, operation_id: str, suffix: str = "") -> operation_pb2.Operation:
        answer = self.http.get(f"{self.url}operations/{operation_id}{suffix}", timeout=30)
        assert answer.status_code == 200, answer.text
        return parse(answer.text, operation_pb2.Operation())

    def until_done(self, operation_id: str) -> tuple[operation_pb2.Operation, list[float]]:
        """Polls as the SDK's waiter does (its 1 s sleep, shortened); the progress seen."""
        progress = []
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            operation = self.operation(operation_id)
            metadata = policy_service_pb2.ExecuteMetadata()
            assert operation.metadata.Unpack(metadata)
            progress.append(metadata.progress_percentage)
            if operation.done:
                return operation, progress
            time.sleep(0.2)
        raise AssertionError(f"operation {operation_id} not done within {DEADLINE_S}s")

    def backups(self, **query: str) -> backup_service_pb2.ListBackupsResponse:
        answer = self.http.get(self.url + "backup/v1/backups", params=query, timeout=30)
        assert answer.status_code == 200, answer.text
        return parse(answer.text, backup_service_pb2.ListBackupsResponse())

    def error(self, answer: requests.Response, status: int, code: int) -> status_pb2.Status:
        """The error body of `answer`, which must be `status` with gRPC `code`."""
        assert answer.status_code == status, answer.text
        error = parse(answer.text, status_pb2.Status())
        assert error.code == code, error
        assert request_info(error) == answer.headers["x-request-id"]
        return error


@pytest.fixture
def yandex(emulate):
    vendor = emulate.vendor(VENDOR)
    vendor.reset()
    yield Yandex(vendor)
    vendor.reset()


def test_the_protos_refuse_unknown_fields():
    """The checks below would catch a field the protos lack."""
    with pytest.raises(json_format.ParseError, match="no field named"):
        parse('{"id": "op", "done": true, "jobId": "x"}', operation_pb2.Operation())
    with pytest.raises(json_format.ParseError):
        parse('{"id": "op", "response": {"@type": "type.googleapis.com/no.Such"}}', operation_pb2.Operation())


def test_token_exchanges_with_the_sdks_requests(yandex):
    # `TokenAuth` (YC_TOKEN): `{"yandexPassportOauthToken"}`.
    oauth = yandex.exchange(TokenAuth(yandex.vendor.credentials["YC_TOKEN"]).get_token_request())
    assert oauth.iam_token.startswith("t1.")
    assert oauth.expires_at.ToSeconds() > time.time()
    # `ServiceAccountAuth`: the SDK signs the PS256 JWT with the authorized key.
    key = json.loads(DEMO_KEY.read_text(encoding="utf-8"))
    jwt = yandex.exchange(ServiceAccountAuth(key).get_token_request())
    assert jwt.iam_token.startswith("t1.") and jwt.iam_token != oauth.iam_token
    # The IAM token from the environment is accepted as issued.
    answer = yandex.http.get(
        yandex.url + "operations/unknown",
        headers={"Authorization": f"Bearer {yandex.vendor.credentials['YC_IAM_TOKEN']}"},
        timeout=30,
    )
    yandex.error(answer, 404, code_pb2.NOT_FOUND)
    # The fixture's exchange, then the two above.
    assert yandex.vendor.state()["token_requests"] == 3


def test_the_sdks_metadata_token_works(yandex, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    address = urlsplit(yandex.url).netloc
    token = yandexcloud.auth.get_auth_token(metadata_addr=address)
    assert token.startswith("t1.")
    answer = yandex.http.post(
        f"{yandex.url}backup/v1/policies/{yandex.vendor.params['policy']}:execute",
        json={"computeInstanceId": yandex.vendor.params["instance"]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    parse(answer.text, operation_pb2.Operation())


def test_execute_and_the_operation_api_parse_as_the_protos(yandex):
    key = str(uuid.uuid4())
    answer = yandex.execute(key=key)
    assert answer.status_code == 200, answer.text
    started = parse(answer.text, operation_pb2.Operation())
    metadata = policy_service_pb2.ExecuteMetadata()
    assert started.metadata.Unpack(metadata)
    assert (metadata.policy_id, metadata.compute_instance_id) == (
        yandex.vendor.params["policy"],
        yandex.vendor.params["instance"],
    )
    assert not started.done and started.created_at.ToSeconds() > 0
    # The same key answers the same operation, and starts nothing more.
    again = parse(yandex.execute(key=key).text, operation_pb2.Operation())
    assert again.id == started.id

    done, progress = yandex.until_done(started.id)
    assert progress == sorted(progress) and progress[-1] == 100.0
    assert done.WhichOneof("result") == "response"
    assert done.response.Unpack(empty_pb2.Empty())
    assert done.modified_at.ToNanoseconds() >= done.created_at.ToNanoseconds()
    assert yandex.vendor.state()["accepted_backups"] == 1


def test_the_backup_made_is_listed_as_the_protos_say(yandex):
    params = yandex.vendor.params
    started = parse(yandex.execute().text, operation_pb2.Operation())
    done, _ = yandex.until_done(started.id)
    listed = yandex.backups(
        **{
            "instancePolicy.computeInstanceId": params["instance"],
            "instancePolicy.policyId": params["policy"],
        }
    )
    assert len(listed.backups) == 1, listed
    backup = listed.backups[0]
    assert (backup.compute_instance_id, backup.policy_id) == (params["instance"], params["policy"])
    assert backup.type == backup_pb2.Backup.Type.FULL and not backup.deleted
    assert backup.size > 0 and backup.original_data_size >= backup.backed_up_data_size > 0
    assert done.created_at.ToNanoseconds() <= backup.created_at.ToNanoseconds()
    assert backup.created_at.ToNanoseconds() <= done.modified_at.ToNanoseconds()

    # `backupctl` reports that backup as what its policy run produced.
    run = yandex.vendor.backupctl(
        *yandex.vendor.trigger[1:], "--wait", "--poll-interval", "200ms", "--output", "json"
    )
    assert run.returncode == 0, (run.stdout, run.stderr)
    report = json.loads(run.stdout.splitlines()[-1])
    listed = yandex.backups(computeInstanceId=params["instance"])
    assert [b.type for b in listed.backups] == [
        backup_pb2.Backup.Type.INCREMENTAL,
        backup_pb2.Backup.Type.FULL,
    ]
    newest = listed.backups[0]
    assert report["produced"] == [{"kind": "backup", "id": newest.id}], report
    assert report["size_bytes"] == newest.size
    assert report["duration_s"] > 0 and report["warnings"] == []


def test_a_failed_run_is_a_google_rpc_status_with_its_request_id(yandex):
    yandex.vendor.lifecycle(outcome="failure", reason="disk full")
    answer = yandex.execute()
    assert answer.status_code == 200, answer.text
    started = parse(answer.text, operation_pb2.Operation())
    done, _ = yandex.until_done(started.id)
    assert done.WhichOneof("result") == "error"
    assert (done.error.code, done.error.message) == (code_pb2.INTERNAL, "disk full")
    assert request_info(done.error) == answer.headers["x-request-id"]
    params = yandex.vendor.params
    assert not yandex.backups(computeInstanceId=params["instance"]).backups


def test_cancel_answers_the_operation(yandex):
    yandex.vendor.lifecycle(duration_s=30)
    started = parse(yandex.execute().text, operation_pb2.Operation())
    cancelling = yandex.operation(started.id, ":cancel")
    assert cancelling.id == started.id
    done, _ = yandex.until_done(started.id)
    assert done.error.code == code_pb2.CANCELLED


def test_error_bodies_are_google_rpc_status(yandex):
    params = yandex.vendor.params
    anonymous = requests.Session()
    anonymous.trust_env = False
    unauthenticated = anonymous.get(yandex.url + "operations/x", timeout=30)
    yandex.error(unauthenticated, 401, code_pb2.UNAUTHENTICATED)
    expired = anonymous.get(
        yandex.url + "operations/x", headers={"Authorization": "Bearer t1.nope"}, timeout=30
    )
    yandex.error(expired, 401, code_pb2.UNAUTHENTICATED)
    yandex.error(yandex.execute(instance=UNAPPLIED_INSTANCE), 400, code_pb2.FAILED_PRECONDITION)
    unknown_policy = yandex.http.post(
        yandex.url + "backup/v1/policies/cbq0nosuchpolicy0000:execute",
        json={"computeInstanceId": params["instance"]},
        timeout=30,
    )
    yandex.error(unknown_policy, 404, code_pb2.NOT_FOUND)
    yandex.error(yandex.http.get(yandex.url + "operations/nope", timeout=30), 404, code_pb2.NOT_FOUND)
    no_selector = yandex.http.get(yandex.url + "backup/v1/backups", timeout=30)
    yandex.error(no_selector, 400, code_pb2.INVALID_ARGUMENT)
    assert yandex.vendor.state()["accepted_backups"] == 0

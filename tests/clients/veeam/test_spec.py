"""Veeam: every answer of the emulator's v8.1 API validated against the JSON schemas of
Veeam's own v8.1 OpenAPI spec, with `requests` and `jsonschema` (pinned in
requirements.txt).

The spec (`vbaz_rest_v8.1.json`, about 2 MB, published with Veeam's v8.1 REST reference,
and kept as `openapi_schemas/vbaz_rest_v8.1.json` in the veeam-az repository,
github.com/Cenvora/veeam-az) is not kept in this repository: it is read from
`$VEEAM_OPENAPI_SPEC`, else `../shared/veeam/vbaz_rest_v8.1.json` beside the checkout,
and these tests are skipped, saying so, when it is not there. The
schemas are OpenAPI 3.0: `nullable` becomes a `null` type (or a `None` enum value), and
`additionalProperties: false` is kept, so a field the spec does not list fails too.
Formats (`uuid`, `date-time`) are not checked.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import time
from typing import Any

import jsonschema
import pytest
import requests

from emulate import ROOT

SPEC_PATH = pathlib.Path(
    os.environ.get("VEEAM_OPENAPI_SPEC") or ROOT.parent / "shared" / "veeam" / "vbaz_rest_v8.1.json"
)
DEMO_POLICY = "4094906f-2d81-4a73-b9bc-00482690c285"
DEADLINE_S = 90.0

pytestmark = pytest.mark.skipif(
    not SPEC_PATH.is_file(),
    reason=(
        f"Veeam's v8.1 OpenAPI spec is not at {SPEC_PATH} (kept outside the repository: set "
        "VEEAM_OPENAPI_SPEC to openapi_schemas/vbaz_rest_v8.1.json of github.com/Cenvora/veeam-az)"
    ),
)


def openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` allows `null`."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: openapi_to_json_schema(value) for key, value in node.items()}
    if out.pop("nullable", False):
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "$ref" in out:
            out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
    return out


class Spec:
    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.components = openapi_to_json_schema(document["components"])

    def schema(self, method: str, template: str, status: int) -> dict[str, Any]:
        responses = self.document["paths"][template][method.lower()]["responses"]
        assert str(status) in responses, f"{method} {template}: the spec has no {status} answer"
        content = responses[str(status)].get("content", {})
        assert content, f"{method} {template} {status}: the spec gives no body"
        (media,) = content.values()
        return openapi_to_json_schema(copy.deepcopy(media["schema"]))

    def check(self, method: str, template: str, answer: requests.Response) -> Any:
        body = answer.json()
        schema = {**self.schema(method, template, answer.status_code), "components": self.components}
        jsonschema.Draft202012Validator(schema).validate(body)
        return body


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec(json.loads(SPEC_PATH.read_text(encoding="utf-8")))


@pytest.fixture
def veeam(emulate):
    vendor = emulate.vendor("veeam")
    vendor.reset()
    yield vendor
    vendor.reset()


def test_the_spec_is_veeams_v8_1():
    document = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert document["info"]["version"] == "v8.1"
    assert "VirtualMachines" in document["components"]["schemas"]["PolicyType"]["enum"]


def test_the_openapi_conversion_keeps_the_specs_strictness(spec):
    """The checks below can fail: an undocumented field or enum word is refused."""
    schema = {"$ref": "#/components/schemas/JobSession", "components": spec.components}
    validator = jsonschema.Draft202012Validator(schema)
    good = {"id": "1", "status": "Success", "executionDuration": None}
    validator.validate(good)
    for bad in (
        {**good, "usn": 0},
        {**good, "status": "Failed"},
        {**good, "backupJobInfo": {"policyType": "VirtualMachine"}},
        {**good, "_links": [{"rel": "self", "href": "x"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


def test_every_answer_matches_the_specs_schemas(veeam, spec):
    http = requests.Session()
    http.trust_env = False
    base = veeam.url.rstrip("/")
    creds = veeam.credentials
    login = http.post(
        f"{base}/api/oauth2/token",
        data={"grant_type": "Password", "username": creds["VEEAM_USERNAME"], "password": creds["VEEAM_PASSWORD"]},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    token = spec.check("POST", "/api/oauth2/token", login)["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"

    def call(method: str, template: str, path: str, status: int, **kwargs) -> Any:
        answer = http.request(method, f"{base}{path}", timeout=30, **kwargs)
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
        return spec.check(method, template, answer)

    start = "/api/v8.1/policies/virtualMachines/{policyId}/start"
    sessions = call("POST", start, start.format(policyId=DEMO_POLICY), 202)
    ids = [session["id"] for session in sessions]
    conflict = call("POST", start, start.format(policyId=DEMO_POLICY), 409)
    assert conflict["sessionId"] == ids[0]
    read = "/api/v8.1/jobSessions/{sessionId}"
    deadline = time.monotonic() + DEADLINE_S
    for session_id in ids:
        while True:
            session = call("GET", read, read.format(sessionId=session_id), 200)
            if session["status"] in ("Success", "Warning", "Error", "Canceled"):
                break
            assert time.monotonic() < deadline, session
            time.sleep(0.1)
        assert session["status"] == "Success"
    log = "/api/v8.1/jobSessions/{sessionId}/log"
    call("GET", log, log.format(sessionId=ids[0]), 200)
    page = call("GET", "/api/v8.1/jobSessions", "/api/v8.1/jobSessions", 200, params={"PolicyId": DEMO_POLICY})
    assert [s["id"] for s in page["results"]] == ids
    items = "/api/v8.1/jobSessions/{backupJobSessionId}/protectedItems"
    call("GET", items, items.format(backupJobSessionId=ids[1]), 200)
    points = "/api/v8.1/restorePoints/virtualMachines"
    listed = call("GET", points, points, 200, params={"OnlyLatest": "true"})
    assert {p["jobSessionId"] for p in listed["results"]} == set(ids)
    call("GET", "/api/v8.1/jobSessions", "/api/v8.1/jobSessions", 400, params={"FromUtc": "yesterday"})
    call("GET", read, read.format(sessionId="no-such-session"), 404)
    http.headers["Authorization"] = "Bearer forged"
    call("GET", read, read.format(sessionId=ids[0]), 401)

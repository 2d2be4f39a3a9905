"""Azure: Microsoft's own Python SDK (`azure-mgmt-recoveryservicesbackup` 11.2, with its
default api-version, 2026-10-01) against `backupctl emulate`.

What it drives, as a user of the SDK would: `backups.trigger` (a plain POST in the SDK:
it answers 202 and returns nothing) followed by azure-mgmt-core's own ARM poller
(`ARMPolling` on the trigger's `Azure-AsyncOperation`, then its `Location`), the
vault-level operation status (`backup_operation_statuses.get`, what the Azure CLI polls)
and result (`backup_operation_results.get`),
`job_details.get` to the job's end, `backup_jobs.list` with the spec's filters,
`recovery_points.list` of the item, and a job cancellation with its operation result
(`job_cancellations.trigger` → `Location` → `job_operation_results.get`).

The emulator serves plain `http` on loopback and Entra ID is not emulated: the client gets
the emulator's static token through a minimal `TokenCredential`, and each call passes
`enforce_https=False` (azure-core refuses a bearer token over `http` otherwise).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

# pytest (--import-mode=importlib) imports this file as `azure.test_sdk`, so the name
# `azure` is this directory's namespace package: the SDK's portions of the `azure`
# namespace (site-packages/azure/core, .../mgmt) are added to it before importing them.
_namespace = sys.modules.get("azure")
if _namespace is not None and hasattr(_namespace, "__path__"):
    for _entry in sys.path:
        _portion = os.path.join(_entry, "azure")
        if os.path.isdir(os.path.join(_portion, "core")) and _portion not in list(_namespace.__path__):
            _namespace.__path__.append(_portion)

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.core.polling import LROPoller
from azure.mgmt.core.polling.arm_polling import ARMPolling
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.recoveryservicesbackup.models import BackupRequestResource, IaasVMBackupRequest

SDK_API_VERSION = "2026-10-01"
"""The SDK's default (and only) api-version; the emulator must accept it."""

DEADLINE_S = 60.0
"""Generous: backups take `EMULATE_BACKUP_DURATION` (2 s by default) on the emulator."""

HTTP = {"enforce_https": False}


class StaticToken:
    """A `TokenCredential` handing out the emulator's static token."""

    def __init__(self, token: str):
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture
def azure(emulate):
    vendor = emulate.vendor("azure")
    vendor.reset()
    return vendor


@pytest.fixture
def credential(azure) -> StaticToken:
    return StaticToken(azure.credentials["AZURE_ACCESS_TOKEN"])


@pytest.fixture
def sdk(azure, credential) -> RecoveryServicesBackupClient:
    return RecoveryServicesBackupClient(
        credential=credential,
        subscription_id=azure.params["subscription"],
        base_url=azure.url.rstrip("/"),
    )


def item_args(azure) -> tuple[str, str, str, str, str]:
    p = azure.params
    return (p["vault"], p["resource_group"], p["fabric"], p["container"], p["item"])


def raw(pipeline_response, deserialized, headers):
    """`cls=` that keeps the HTTP exchange (the SDK returns nothing from a 202)."""
    return pipeline_response, deserialized


def trigger(sdk, azure):
    vault, rg, fabric, container, item = item_args(azure)
    response, _ = sdk.backups.trigger(
        vault,
        rg,
        fabric,
        container,
        item,
        BackupRequestResource(properties=IaasVMBackupRequest()),
        cls=raw,
        **HTTP,
    )
    return response


def operation_id(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def job_until_ended(sdk, azure, job_id: str):
    vault, rg = azure.params["vault"], azure.params["resource_group"]
    deadline = time.monotonic() + DEADLINE_S
    while True:
        job = sdk.job_details.get(vault, rg, job_id, **HTTP)
        if job.properties.status not in ("InProgress", "Cancelling"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.properties.status}"
        time.sleep(0.2)


def test_trigger_with_the_sdks_own_lro_poller_then_the_job_to_its_end(sdk, azure, credential):
    vault, rg, fabric, container, item = item_args(azure)
    response = trigger(sdk, azure)
    assert response.http_response.status_code == 202
    sent = response.http_request
    assert f"api-version={SDK_API_VERSION}" in sent.url
    assert sent.method == "POST"
    headers = response.http_response.headers
    async_url = headers["Azure-AsyncOperation"]
    assert "/operationsStatus/" in async_url
    assert "/operationResults/" in headers["Location"]
    assert credential.scopes[0] == ("https://management.azure.com/.default",)

    # azure-mgmt-core's own ARM poller on the trigger's answer: the Azure-AsyncOperation
    # status until Succeeded, then the final GET of the Location (204).
    poller = LROPoller(sdk._client, response, lambda final: final, ARMPolling(0, **HTTP))
    poller.result(timeout=DEADLINE_S)
    assert poller.status() == "Succeeded"

    # The vault-level operation status (what the Azure CLI and the tutorials poll) names
    # the backup job.
    status = sdk.backup_operation_statuses.get(vault, rg, operation_id(async_url), **HTTP)
    assert status.status == "Succeeded"
    job_id = status.properties.job_id
    assert job_id
    item_status = sdk.protected_item_operation_statuses.get(
        vault, rg, fabric, container, item, operation_id(async_url), **HTTP
    )
    assert item_status.properties.job_id == job_id
    # The vault-level operation result (`BackupOperationResults_Get`): 204 once it ended.
    result, _ = sdk.backup_operation_results.get(vault, rg, operation_id(async_url), cls=raw, **HTTP)
    assert result.http_response.status_code == 204
    assert f"api-version={SDK_API_VERSION}" in result.http_request.url

    # job_details.get with the SDK's default api-version, to the job's end.
    job = job_until_ended(sdk, azure, job_id)
    assert job.properties.status == "Completed"
    assert job.properties.operation == "Backup"
    assert job.properties.job_type == "AzureIaaSVMJob"
    assert job.properties.entity_friendly_name == item.rsplit(";", 1)[-1]
    assert job.properties.duration is not None  # ISO 8601, read as a timedelta
    assert job.properties.end_time is not None
    assert job.properties.extended_info.property_bag["Backup Size"].endswith(" MB")
    pipeline, _ = sdk.job_details.get(vault, rg, job_id, cls=raw, **HTTP)
    assert f"api-version={SDK_API_VERSION}" in pipeline.http_request.url

    # The vault's job list with the spec's filters finds it; the item's recovery points
    # name the one it made.
    listed = list(
        sdk.backup_jobs.list(
            vault,
            rg,
            filter="operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' "
            "and status eq 'Completed'",
            **HTTP,
        )
    )
    assert [j.name for j in listed] == [job_id]
    points = list(sdk.recovery_points.list(vault, rg, fabric, container, item, **HTTP))
    assert len(points) == 1
    assert points[0].properties.object_type == "IaasVMRecoveryPoint"
    assert points[0].properties.recovery_point_time is not None
    one = sdk.recovery_points.get(vault, rg, fabric, container, item, points[0].name, **HTTP)
    assert one.name == points[0].name

    assert azure.state()["accepted_backups"] == 1


def test_a_second_trigger_while_one_runs_is_refused_as_azure_does(sdk, azure):
    azure.lifecycle(duration_s=30)
    trigger(sdk, azure)
    with pytest.raises(HttpResponseError) as refused:
        trigger(sdk, azure)
    assert refused.value.status_code == 400
    assert refused.value.error.code == "UserErrorBackupOperationInProgress"
    assert azure.state()["accepted_backups"] == 1


def test_a_job_is_cancelled_and_its_operation_result_followed(sdk, azure):
    vault, rg = azure.params["vault"], azure.params["resource_group"]
    azure.lifecycle(duration_s=30)
    response = trigger(sdk, azure)
    async_url = response.http_response.headers["Azure-AsyncOperation"]
    job_id = sdk.backup_operation_statuses.get(vault, rg, operation_id(async_url), **HTTP).properties.job_id

    cancel, _ = sdk.job_cancellations.trigger(vault, rg, job_id, cls=raw, **HTTP)
    assert cancel.http_response.status_code == 202
    location = cancel.http_response.headers["Location"]
    assert f"/backupJobs/{job_id}/operationResults/" in location
    cancel_op = operation_id(location)

    deadline = time.monotonic() + DEADLINE_S
    codes = []
    while True:
        result, _ = sdk.job_operation_results.get(vault, rg, job_id, cancel_op, cls=raw, **HTTP)
        codes.append(result.http_response.status_code)
        if codes[-1] != 202:
            break
        assert time.monotonic() < deadline, codes
        time.sleep(0.2)
    assert codes[-1] == 204, codes
    job = sdk.job_details.get(vault, rg, job_id, **HTTP)
    assert job.properties.status == "Cancelled"


def test_the_job_lists_time_window_is_read_as_the_spec_writes_it(sdk, azure):
    vault, rg = azure.params["vault"], azure.params["resource_group"]
    response = trigger(sdk, azure)
    job_id = sdk.backup_operation_statuses.get(
        vault, rg, operation_id(response.http_response.headers["Azure-AsyncOperation"]), **HTTP
    ).properties.job_id
    # The spec's example window (2016-2017) holds nothing; one around now holds the job.
    old = list(
        sdk.backup_jobs.list(
            vault,
            rg,
            filter="startTime eq '2016-01-01 00:00:00 AM' and endTime eq '2017-11-29 00:00:00 AM'",
            **HTTP,
        )
    )
    assert old == []
    # `yyyy-MM-dd hh:mm:ss tt` in UTC, as the Azure CLI writes it: an hour either side.
    def at(seconds: float) -> str:
        return time.strftime("%Y-%m-%d %I:%M:%S %p", time.gmtime(seconds))

    now = time.time()
    window = f"startTime eq '{at(now - 3600)}' and endTime eq '{at(now + 3600)}'"
    assert job_id in [j.name for j in sdk.backup_jobs.list(vault, rg, filter=window, **HTTP)]
    with pytest.raises(HttpResponseError) as refused:
        list(sdk.backup_jobs.list(vault, rg, filter="colour eq 'blue'", **HTTP))
    assert refused.value.status_code == 400

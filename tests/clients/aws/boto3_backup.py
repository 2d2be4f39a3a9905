#!/usr/bin/env python3
"""AWS's own Python client (boto3/botocore) driving an AWS Backup endpoint.

Self-contained: it needs boto3 and these variables, nothing of this repository.

    BACKUP_ENDPOINT        the endpoint (http://127.0.0.1:PORT/ of the emulator)
    AWS_ACCESS_KEY_ID      credentials the endpoint accepts
    AWS_SECRET_ACCESS_KEY
    AWS_REGION             the Region (us-east-1)
    BACKUP_VAULT           a vault, a plain resource, a resource AWS cannot stop, a
    BACKUP_RESOURCE_ARN    CloudFormation stack the endpoint backs up as a parent job,
    BACKUP_DATABASE_ARN    and the role
    BACKUP_STACK_ARN
    BACKUP_ROLE_ARN

botocore signs every request with SigV4 and parses every answer with the service's
API model, so each step checks the endpoint against AWS's client: StartBackupJob
(with the IdempotencyToken botocore generates, and with one of ours), DescribeBackupJob
until the job ends, StopBackupJob (ABORTING, then ABORTED), ListBackupJobs by
parentJobId, and the modeled errors. It prints one JSON line per step and exits 0 when
every step passed, 1 otherwise.
"""

import datetime
import json
import os
import sys
import time

import boto3
import botocore
from botocore.config import Config

STEPS = []


def step(name):
    def wrap(function):
        STEPS.append((name, function))
        return function

    return wrap


def client():
    return boto3.client(
        "backup",
        endpoint_url=os.environ["BACKUP_ENDPOINT"],
        region_name=os.environ["AWS_REGION"],
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )


def start(backup, resource=None, **extra):
    return backup.start_backup_job(
        BackupVaultName=os.environ["BACKUP_VAULT"],
        ResourceArn=resource or os.environ["BACKUP_RESOURCE_ARN"],
        IamRoleArn=os.environ["BACKUP_ROLE_ARN"],
        **extra,
    )


def until_ended(backup, job_id, limit=60):
    states = []
    for _ in range(limit):
        job = backup.describe_backup_job(BackupJobId=job_id)
        if not states or states[-1] != job["State"]:
            states.append(job["State"])
        if job["State"] in ("COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL"):
            return job, states
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not end: {states}")


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


@step("start, describe to the end")
def start_and_describe(backup):
    started = start(backup)
    expect(isinstance(started["CreationDate"], datetime.datetime), "CreationDate is a timestamp")
    expect(started["IsParent"] is False, "a volume is no parent job")
    job, states = until_ended(backup, started["BackupJobId"])
    expect(states[0] in ("CREATED", "PENDING", "RUNNING"), f"first state {states}")
    expect(states[-1] == "COMPLETED", f"states {states}")
    expect(job["PercentDone"] == "100.0", f"PercentDone {job['PercentDone']!r}")
    expect(job["BackupSizeInBytes"] > 0, "BackupSizeInBytes")
    expect(job["CompletionDate"] >= job["CreationDate"], "CompletionDate after CreationDate")
    expect(job["RecoveryPointArn"].startswith("arn:aws:"), "RecoveryPointArn")
    expect(job["ResourceArn"] == os.environ["BACKUP_RESOURCE_ARN"], "ResourceArn")
    return {"job": started["BackupJobId"], "states": states}


@step("the same IdempotencyToken starts one job")
def idempotency(backup):
    first = start(backup, IdempotencyToken="boto3-token-1")
    again = start(backup, IdempotencyToken="boto3-token-1")
    other = start(backup)  # botocore fills in a fresh token itself
    expect(first["BackupJobId"] == again["BackupJobId"], "the same job")
    expect(other["BackupJobId"] != first["BackupJobId"], "a new token, a new job")
    return {"job": first["BackupJobId"]}


@step("stop: ABORTING, then ABORTED")
def stop(backup):
    started = start(backup)
    backup.stop_backup_job(BackupJobId=started["BackupJobId"])
    job, states = until_ended(backup, started["BackupJobId"])
    expect(states[0] == "ABORTING", f"states {states}")
    expect(job["State"] == "ABORTED", f"states {states}")
    return {"states": states}


@step("a stack is a parent job; ListBackupJobs by parentJobId lists its children")
def parent(backup):
    started = start(backup, resource=os.environ["BACKUP_STACK_ARN"])
    expect(started["IsParent"] is True, "IsParent")
    job, _ = until_ended(backup, started["BackupJobId"])
    expect(job["NumberOfChildJobs"] == 2, f"NumberOfChildJobs {job.get('NumberOfChildJobs')}")
    expect(job["ChildJobsInState"] == {"COMPLETED": 2}, f"ChildJobsInState {job.get('ChildJobsInState')}")
    children = backup.list_backup_jobs(ByParentJobId=started["BackupJobId"])["BackupJobs"]
    expect(len(children) == 2, f"{len(children)} children")
    expect(all(c["ParentJobId"] == started["BackupJobId"] for c in children), "ParentJobId")
    pages = list(
        backup.get_paginator("list_backup_jobs").paginate(
            ByParentJobId=started["BackupJobId"], PaginationConfig={"PageSize": 1}
        )
    )
    expect(sum(len(p["BackupJobs"]) for p in pages) == 2, "paginated: two children")
    return {"children": len(children), "pages": len(pages)}


@step("modeled errors")
def errors(backup):
    seen = {}
    try:
        backup.describe_backup_job(BackupJobId="00000000-0000-0000-0000-000000000000")
        raise AssertionError("an unknown job was described")
    except backup.exceptions.ResourceNotFoundException as error:
        seen["unknown job"] = error.response["Error"]["Code"]
        expect(error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, "400")
        expect(error.response["ResponseMetadata"].get("RequestId"), "x-amzn-RequestId")
    try:
        backup.start_backup_job(
            BackupVaultName="NoSuchVault",
            ResourceArn=os.environ["BACKUP_RESOURCE_ARN"],
            IamRoleArn=os.environ["BACKUP_ROLE_ARN"],
        )
        raise AssertionError("an unknown vault was accepted")
    except backup.exceptions.ResourceNotFoundException as error:
        seen["unknown vault"] = error.response["Error"]["Code"]
    try:
        start(backup, StartWindowMinutes=30)
        raise AssertionError("a 30-minute start window was accepted")
    except backup.exceptions.InvalidParameterValueException as error:
        seen["short start window"] = error.response["Error"]["Code"]
    database = start(backup, resource=os.environ["BACKUP_DATABASE_ARN"])
    try:
        backup.stop_backup_job(BackupJobId=database["BackupJobId"])
        raise AssertionError("an RDS job was stopped")
    except backup.exceptions.InvalidRequestException as error:
        seen["stop RDS"] = error.response["Error"]["Code"]
    return seen


@step("a wrong secret is refused")
def wrong_secret(_backup):
    bad = boto3.client(
        "backup",
        endpoint_url=os.environ["BACKUP_ENDPOINT"],
        region_name=os.environ["AWS_REGION"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="not-the-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    try:
        bad.describe_backup_job(BackupJobId="x")
        raise AssertionError("a wrong secret was accepted")
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        expect(code == "InvalidSignatureException", code)
        return {"code": code}


def main():
    backup = client()
    failed = 0
    for name, function in STEPS:
        try:
            result = function(backup)
            print(json.dumps({"step": name, "ok": True, "result": result}, default=str))
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failed += 1
            print(json.dumps({"step": name, "ok": False, "error": f"{type(error).__name__}: {error}"}))
    print(json.dumps({"boto3": boto3.__version__, "botocore": botocore.__version__, "failed": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Commvault's own Python SDK, cvpysdk (pinned in requirements.txt), against the
Commvault emulator of `backupctl emulate`: `Commcell()` (service probe, Login, WhoAmI
with a token), the lookups down to a File System subclient, a backup through CreateTask
(cvpysdk's JSON with numeric enums) and through the subclient's backup action, `Job`
followed to its end (`GET Job/{id}` and `POST JobDetails`), a schedule answered with only
`taskId`, and errors answered with HTTP 200.

The subclient is the emulator's seeded File System one (`emulator-fs-client` /
`defaultBackupSet` / `default`, docs/vendors/commvault.md): cvpysdk's File System path
is the one it documents for `subclient.backup()`.
"""

from __future__ import annotations

import json
import time

import pytest
from cvpysdk.commcell import Commcell
from cvpysdk.exception import SDKException
from cvpysdk.job import Job

FS_CLIENT = "emulator-fs-client"
FS_AGENT = "File System"
FS_BACKUPSET = "defaultBackupSet"
FS_SUBCLIENT = "default"

PATIENCE_S = 60.0
"""How long a job may take to end here: generous (backups take 2 s), never deciding."""


@pytest.fixture()
def commvault(emulate):
    vendor = emulate.vendor("commvault")
    vendor.reset()
    return vendor


def connect(vendor, **kwargs) -> Commcell:
    """`Commcell()` at the emulator: its API base as cvpysdk's `web_service_url` (which
    cvpysdk ends with a `/` itself), the demo user unless `kwargs` say otherwise."""
    base = vendor.url.rstrip("/")
    host = base.split("/")[2]
    if "authtoken" not in kwargs:
        kwargs.setdefault("commcell_username", vendor.credentials["COMMVAULT_USERNAME"])
        kwargs.setdefault("commcell_password", vendor.credentials["COMMVAULT_PASSWORD"])
    return Commcell(host, web_service_url=base, **kwargs)


def fs_subclient(commcell: Commcell):
    """The seeded File System subclient, found the way cvpysdk documents it."""
    client = commcell.clients.get(FS_CLIENT)
    agent = client.agents.get(FS_AGENT)
    backupset = agent.backupsets.get(FS_BACKUPSET)
    return backupset.subclients.get(FS_SUBCLIENT)


def until_finished(job: Job) -> None:
    """Reads the job (`Job.is_finished`: `GET Job/{id}` then `POST JobDetails`) until it
    ends; cvpysdk's own `wait_for_completion` sleeps 30 s between reads."""
    deadline = time.monotonic() + PATIENCE_S
    while not job.is_finished:
        assert time.monotonic() < deadline, f"job {job.job_id} still {job.status}"
        time.sleep(0.25)


def paths(vendor, cls=None) -> list[str]:
    """The method and path of every request the emulator logged (of class `cls`)."""
    records = vendor.requests(cls=cls)["records"]
    return [f"{r['method']} {r['target'].split('?')[0]}" for r in records]


def test_commcell_probes_logs_in_and_accepts_its_token(commvault):
    commcell = connect(commvault)
    assert commcell.commcell_username == "admin"
    token = commcell.auth_token
    assert token.startswith("QSDK ")
    base = "/" + commvault.url.split("/", 3)[3]
    assert paths(commvault)[:2] == [f"GET {base}", f"POST {base}Login"]

    # Login with an existing token: cvpysdk asks WhoAmI who it is.
    again = connect(commvault, authtoken=token)
    assert again.commcell_username == "admin"
    assert f"POST {base}WhoAmI" in paths(commvault, cls="auth")
    assert commvault.state()["token_requests"] == 1

    # A token the CommServe does not know is refused (WhoAmI answers 401, cvpysdk then
    # tries to renew it, which fails too).
    with pytest.raises(SDKException):
        connect(commvault, authtoken="QSDK not-a-session")


def test_subclient_backup_through_create_task_runs_to_completion(commvault):
    commcell = connect(commvault)
    subclient = fs_subclient(commcell)
    assert type(subclient).__name__ == "FileSystemSubclient"

    # With options, cvpysdk's File System backup posts CreateTask with its own JSON:
    # numeric taskType / subTaskType / operationType, the level as "Full".
    request = subclient._backup_json("Full", False, "BEFORE_SYNTH", {"impersonate_gui": True})
    task = request["taskInfo"]
    assert task["task"]["taskType"] == 1
    assert task["subTasks"][0]["subTask"] == {"subTaskType": 2, "operationType": 2}
    assert task["subTasks"][0]["options"]["backupOpts"]["backupLevel"] == "Full"

    job = subclient.backup("Full", advanced_options={"impersonate_gui": True})
    assert isinstance(job, Job)
    assert commvault.state()["accepted_backups"] == 1
    assert paths(commvault, cls="trigger")[-1].endswith("/CreateTask")

    until_finished(job)
    assert job.status == "Completed"
    assert job.wait_for_completion(timeout=1) is True
    summary = job.summary
    assert summary["backupLevelName"] == "Full"
    assert summary["subclient"]["subclientName"] == FS_SUBCLIENT
    assert job.size_of_application == summary["sizeOfApplication"] > 0
    assert job.end_time  # from lastUpdateTime, as cvpysdk reads it
    detail = job.details["jobDetail"]
    assert int(detail["detailInfo"]["sizeOfApplication"]) == summary["sizeOfApplication"]
    assert detail["progressInfo"]["state"] == "Completed"
    assert "POST /commandcenter/api/JobDetails" in paths(commvault, cls="poll")

    # Another process, with only the job id: cvpysdk's `Job` finds it.
    assert Job(commcell, job.job_id).status == "Completed"


def test_plain_backup_levels_through_the_subclient_action(commvault):
    commcell = connect(commvault)
    subclient = fs_subclient(commcell)
    jobs = [subclient.backup(level) for level in ("Incremental", "Differential", "Synthetic_full")]
    assert all(isinstance(job, Job) for job in jobs)
    assert len({job.job_id for job in jobs}) == 3
    assert all(path.endswith("/action/backup") for path in paths(commvault, cls="trigger"))
    for job in jobs:
        until_finished(job)
    levels = [job.summary["backupLevelName"] for job in jobs]
    assert levels == ["Incremental", "Differential", "Synthetic Full"]
    assert commvault.state()["accepted_backups"] == 3


def test_a_failed_job_says_why(commvault):
    commvault.lifecycle(outcome="failure", reason="The media agent is offline.")
    commcell = connect(commvault)
    job = fs_subclient(commcell).backup("Full")
    until_finished(job)
    assert job.status == "Failed"
    assert job.pending_reason == (
        "Error Code: [19:1131]<br>Description: The media agent is offline."
    )
    assert job.wait_for_completion(timeout=1) is False


def test_a_schedule_is_answered_with_its_task_only(commvault):
    commcell = connect(commvault)
    subclient = fs_subclient(commcell)
    # cvpysdk's own schedule request (taskType 2 and a pattern), sent as cvpysdk sends it.
    request = subclient._backup_json(
        "Incremental",
        False,
        "BEFORE_SYNTH",
        schedule_pattern={"freq_type": "daily", "active_start_time": "09:00", "repeat_days": 1},
    )
    assert request["taskInfo"]["task"]["taskType"] == 2
    flag, response = commcell._cvpysdk_object.make_request(
        "POST", commcell._services["CREATE_TASK"], request
    )
    assert flag and response.status_code == 200
    answer = response.json()
    assert set(answer) == {"taskId"}, answer
    state = commvault.state()
    assert state["accepted_backups"] == 0


def test_request_errors_come_with_http_200(commvault):
    commcell = connect(commvault)
    subclient = fs_subclient(commcell)
    request = subclient._backup_json("Full", False, "BEFORE_SYNTH")
    request["taskInfo"]["associations"][0].update(subclientName="nowhere", subclientId=999)
    flag, response = commcell._cvpysdk_object.make_request(
        "POST", commcell._services["CREATE_TASK"], request
    )
    assert flag and response.status_code == 200
    assert response.json()["errorCode"] == 587207178
    # cvpysdk reads it as the refusal it is.
    with pytest.raises(SDKException, match="no eligible subclients"):
        subclient._process_backup_response(flag, response)

    request = subclient._backup_json("Weekly", False, "BEFORE_SYNTH")
    flag, response = commcell._cvpysdk_object.make_request(
        "POST", commcell._services["CREATE_TASK"], request
    )
    assert (flag, response.status_code) == (True, 200)
    assert "Invalid backupLevel [Weekly]" in response.json()["errorMessage"]
    assert commvault.state()["accepted_backups"] == 0


def test_backupctl_reads_what_the_cvpysdk_job_produced(commvault):
    job = fs_subclient(connect(commvault)).backup("Full")
    until_finished(job)
    run = commvault.backupctl("wait", f"commvault:{job.job_id}", "--output", "json")
    assert run.returncode == 0, run.stderr
    line = json.loads(run.stdout.strip().splitlines()[-1])
    assert line["status"] == "succeeded"
    assert line["size_bytes"] == job.size_of_application
    assert {"kind": "job", "id": str(job.job_id)} in line["produced"]
    assert line["items"][0]["name"].endswith(f"/{FS_BACKUPSET}/{FS_SUBCLIENT}")
    assert line["duration_s"] >= 0

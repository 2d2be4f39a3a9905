#!/usr/bin/env bash
# The Commvault emulator with curl, as docs/vendors/commvault.md and docs/emulators.md show
# it: the service probe, Login (base64 password), WhoAmI, the client lookup, a backup
# through CreateTask (the document's XML, then cvpysdk's JSON with numeric enums), the job
# read to its end, JobDetails, a schedule (only a taskId), an error in an HTTP 200, Logout.
#
# Runs in the environment of `eval "$(backupctl emulate --detach --print-env)"`
# (tests/clients/run.sh does that): BACKUPCTL_EMULATE_COMMVAULT_URL, COMMVAULT_USERNAME,
# COMMVAULT_PASSWORD.
set -euo pipefail

fail() {
    echo "commvault/curl.sh: $*" >&2
    exit 1
}

base=${BACKUPCTL_EMULATE_COMMVAULT_URL:?run it through tests/clients/run.sh}
origin=$(printf '%s' "$base" | sed -E 's#^(https?://[^/]+).*#\1#')

# `curl` against loopback only, failing on HTTP errors; the body on stdout.
call() {
    curl --silent --show-error --noproxy '*' --fail-with-body "$@"
}

# Fails unless $1 (an answer) contains $2.
expect() {
    case "$1" in
    *"$2"*) ;;
    *) fail "expected $2 in: $1" ;;
    esac
}

# The value of the first JSON string or number field $2 in $1.
field() {
    printf '%s' "$1" | sed -nE "s/.*\"$2\":\"?([^\",}]*)\"?.*/\1/p" | head -n 1
}

call -X POST "$origin/_emulator/reset" >/dev/null

# cvpysdk's service probe: the API base answers 200.
call --output /dev/null "$base"

# Login: the password base64-encoded; the token goes in `Authtoken`.
password=$(printf '%s' "$COMMVAULT_PASSWORD" | base64 | tr -d '\n')
login=$(call -H 'Content-Type: application/json' -H 'Accept: application/json' \
    -d "{\"username\": \"$COMMVAULT_USERNAME\", \"password\": \"$password\"}" "${base}Login")
token=$(field "$login" token)
expect "$token" "QSDK "
auth=(-H "Authtoken: $token" -H 'Accept: application/json')

whoami=$(call -X POST "${auth[@]}" "${base}WhoAmI")
expect "$whoami" "\"userName\":\"$COMMVAULT_USERNAME\""

clients=$(call "${auth[@]}" "${base}Client")
expect "$clients" '"clientName":"emulator-fs-client"'

# The document's CreateTask (XML, symbolic enums) for the seeded File System subclient.
task='<?xml version="1.0" encoding="UTF-8"?>
<TMMsg_CreateTaskReq>
  <taskInfo>
    <task><policyType>DATA_PROTECTION</policyType><taskType>IMMEDIATE</taskType></task>
    <associations><clientName>emulator-fs-client</clientName><subclientName>default</subclientName></associations>
    <subTasks>
      <subTask><subTaskType>BACKUP</subTaskType><operationType>BACKUP</operationType></subTask>
      <options><backupOpts><backupLevel>FULL</backupLevel></backupOpts></options>
    </subTasks>
  </taskInfo>
</TMMsg_CreateTaskReq>'
created=$(call -H "Authtoken: $token" -H 'Content-Type: application/xml' -H 'Accept: application/xml' \
    --data-binary "$task" "${base}CreateTask")
expect "$created" '<TMMsg_CreateTaskResp taskId="'
job=$(printf '%s' "$created" | sed -nE 's/.*<jobIds val="([0-9]+)".*/\1/p')
[ -n "$job" ] || fail "no job id in: $created"

# The same with cvpysdk's JSON: numeric taskType / subTaskType / operationType.
json_task='{"taskInfo": {"task": {"taskType": 1, "policyType": 0, "initiatedFrom": 2},
  "associations": [{"clientName": "emulator-fs-client", "subclientName": "default"}],
  "subTasks": [{"subTaskOperation": 1, "subTask": {"subTaskType": 2, "operationType": 2},
    "options": {"backupOpts": {"backupLevel": "Synthetic_full"}}}]}}'
created=$(call "${auth[@]}" -H 'Content-Type: application/json' -d "$json_task" "${base}CreateTask")
expect "$created" '"jobIds":["'

# The job, read until it ends (backups take 2 s here; 120 reads at most).
status=
for _ in $(seq 1 120); do
    summary=$(call "${auth[@]}" "${base}Job/$job")
    status=$(field "$summary" status)
    [ "$status" = Completed ] && break
    sleep 0.5
done
[ "$status" = Completed ] || fail "job $job is still $status"
expect "$summary" '"sizeOfApplication":'
expect "$summary" '"subclientName":"default"'
expect "$summary" '"backupLevelName":"Full"'

details=$(call "${auth[@]}" -H 'Content-Type: application/json' -d "{\"jobId\": $job}" "${base}JobDetails")
expect "$details" '"detailInfo":'
expect "$details" "\"jobId\":$job"

# A schedule: the task only, no jobIds.
schedule=${json_task/\"taskType\": 1/\"taskType\": 2}
scheduled=$(call "${auth[@]}" -H 'Content-Type: application/json' -d "$schedule" "${base}CreateTask")
expect "$scheduled" '"taskId":'
case "$scheduled" in *jobIds*) fail "a schedule answered job ids: $scheduled" ;; esac

# An unknown subclient: Commvault's error, with HTTP 200.
unknown=${json_task/\"subclientName\": \"default\"/\"subclientName\": \"nowhere\"}
refused=$(curl --silent --noproxy '*' --write-out ' HTTP %{http_code}' "${auth[@]}" \
    -H 'Content-Type: application/json' -d "$unknown" "${base}CreateTask")
expect "$refused" '"errorCode":587207178'
expect "$refused" ' HTTP 200'

state=$(call "$origin/_emulator/state")
expect "$state" '"accepted_backups":2'

call -X POST -H "Authtoken: $token" "${base}Logout" >/dev/null
denied=$(curl --silent --noproxy '*' --write-out ' HTTP %{http_code}' -H "Authtoken: $token" "${base}Job/$job")
expect "$denied" ' HTTP 401'
echo "commvault/curl.sh: probe, Login, WhoAmI, Client, CreateTask (XML and JSON), Job, JobDetails, schedule, 200 error and Logout answered as documented"

#!/usr/bin/env bash
# The Azure Recovery Services emulator with curl, as Microsoft's REST tutorials drive the
# service (docs/vendors/azure.md): trigger an on-demand backup of the demo VM with the
# Python SDK's api-version (2026-10-01) and an x-ms-client-request-id, follow the
# Azure-AsyncOperation URL and the vault-level backupOperations/{op} to the job, the job
# to Completed (its activityId is the trigger's request id, its size in the property
# bag), find it in the vault's job list with the spec's $filter, read the recovery point
# it made; a second trigger while one runs refused with UserErrorBackupOperationInProgress;
# a cancel answered 202 with a Location followed to 204; a bad api-version and a missing
# token refused as ARM does.
#
# Runs in the environment of `eval "$(backupctl emulate --detach --print-env)"`
# (tests/clients/run.sh does that): BACKUPCTL_EMULATE_AZURE_URL, AZURE_ACCESS_TOKEN.
set -euo pipefail

fail() {
    echo "azure/curl.sh: $*" >&2
    exit 1
}

base=${BACKUPCTL_EMULATE_AZURE_URL:?run it through tests/clients/run.sh}
token=${AZURE_ACCESS_TOKEN:?}
origin=${base%/}
api=2026-10-01
# The demo vault and VM: the example of "Backups - Trigger" (backup_azure::emulator::DEMO_*).
vault="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault"
item="$vault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r/protectedItems/VM;iaasvmcontainerv2;testrg;v1win2012r"
request_id=7df8e874-1d66-4f81-8e91-da2fe054811d

# Fails unless $1 (an answer) contains $2.
expect() {
    case "$1" in
    *"$2"*) ;;
    *) fail "expected $2 in: $1" ;;
    esac
}

# call METHOD URL [curl args...]: prints the body, then the status on the last line.
call() {
    local method=$1 url=$2
    shift 2
    curl --silent --show-error --noproxy '*' -X "$method" -H "Authorization: Bearer $token" \
        --write-out '\n%{http_code}' "$@" "$url"
}

status_of() { printf '%s' "$1" | tail -n 1; }
body_of() { printf '%s' "$1" | sed '$d'; }

# The value of header $2 in the header dump $1.
header() {
    printf '%s' "$1" | tr -d '\r' | grep -i "^$2:" | head -n 1 | sed -E 's/^[^:]+: *//'
}

# The value of the first JSON string field "$2" in $1.
field() {
    printf '%s' "$1" | grep -o "\"$2\":\"[^\"]*\"" | head -n 1 | sed -E 's/^"[^"]+":"(.*)"$/\1/'
}

call POST "$origin/_emulator/reset" >/dev/null
call POST "$origin/_emulator/lifecycle" -d '{"duration_s": 2}' >/dev/null

# The trigger: 202 with Azure-AsyncOperation, Location and Retry-After, on the emulator.
headers=$(curl --silent --show-error --noproxy '*' -X POST --dump-header - --output /dev/null \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H "x-ms-client-request-id: $request_id" \
    -d '{"properties": {"objectType": "IaasVMBackupRequest"}}' \
    "$origin$item/backup?api-version=$api")
expect "$headers" 'HTTP/1.1 202'
async=$(header "$headers" 'Azure-AsyncOperation')
location=$(header "$headers" 'Location')
expect "$async" '/operationsStatus/'
expect "$location" '/operationResults/'
[ -n "$(header "$headers" 'Retry-After')" ] || fail "no Retry-After: $headers"
expect "$(header "$headers" 'x-ms-client-request-id')" "$request_id"

# A second backup of the item while this one runs is refused.
second=$(call POST "$origin$item/backup?api-version=$api" -H 'Content-Type: application/json' \
    -d '{"properties": {"objectType": "IaasVMBackupRequest"}}')
[ "$(status_of "$second")" = 400 ] || fail "second trigger: $second"
expect "$second" '"code":"UserErrorBackupOperationInProgress"'

# The async operation, then the vault-level operation status: the job's id.
answer=$(call GET "$async")
[ "$(status_of "$answer")" = 200 ] || fail "async operation: $answer"
expect "$answer" '"status":"Succeeded"'
operation=${async##*/}
operation=${operation%%\?*}
answer=$(call GET "$origin$vault/backupOperations/$operation?api-version=$api")
expect "$answer" '"objectType":"OperationStatusJobExtendedInfo"'
job=$(field "$(body_of "$answer")" jobId)
[ -n "$job" ] || fail "no jobId in: $answer"
answer=$(call GET "$origin$vault/backupOperationResults/$operation?api-version=$api")
[ "$(status_of "$answer")" = 204 ] || fail "operation result: $answer"

# The job to its end.
for _ in $(seq 1 100); do
    answer=$(call GET "$origin$vault/backupJobs/$job?api-version=$api")
    case "$answer" in
    *'"status":"InProgress"'*) sleep 0.2 ;;
    *) break ;;
    esac
done
expect "$answer" '"status":"Completed"'
expect "$answer" "\"activityId\":\"$request_id\""
expect "$answer" '"Backup Size":"'
expect "$answer" '"duration":"PT'

# The vault's job list with the spec's filters, spaces as %20.
filter="operation%20eq%20'Backup'%20and%20backupManagementType%20eq%20'AzureIaasVM'%20and%20status%20eq%20'Completed'"
answer=$(call GET "$origin$vault/backupJobs?api-version=$api&\$filter=$filter")
[ "$(status_of "$answer")" = 200 ] || fail "job list: $answer"
expect "$answer" "\"name\":\"$job\""
bad=$(call GET "$origin$vault/backupJobs?api-version=$api&\$filter=colour%20eq%20'blue'")
[ "$(status_of "$bad")" = 400 ] || fail "a bad filter: $bad"

# The recovery point it made.
answer=$(call GET "$origin$item/recoveryPoints?api-version=$api")
[ "$(status_of "$answer")" = 200 ] || fail "recovery points: $answer"
expect "$answer" '"objectType":"IaasVMRecoveryPoint"'
point=$(field "$(body_of "$answer")" name)
answer=$(call GET "$origin$item/recoveryPoints/$point?api-version=$api")
[ "$(status_of "$answer")" = 200 ] || fail "recovery point $point: $answer"

# Cancel a long backup: 202 with a Location, followed until 204.
call POST "$origin/_emulator/lifecycle" -d '{"duration_s": 60}' >/dev/null
headers=$(curl --silent --show-error --noproxy '*' -X POST --dump-header - --output /dev/null \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"properties": {"objectType": "IaasVMBackupRequest"}}' \
    "$origin$item/backup?api-version=$api")
async=$(header "$headers" 'Azure-AsyncOperation')
running=$(field "$(body_of "$(call GET "$async")")" jobId)
[ -n "$running" ] || fail "no job to cancel"
headers=$(curl --silent --show-error --noproxy '*' -X POST --dump-header - --output /dev/null \
    -H "Authorization: Bearer $token" -H 'Content-Length: 0' \
    "$origin$vault/backupJobs/$running/cancel?api-version=$api")
expect "$headers" 'HTTP/1.1 202'
result=$(header "$headers" 'Location')
expect "$result" "/backupJobs/$running/operationResults/"
code=202
for _ in $(seq 1 50); do
    code=$(status_of "$(call GET "$result")")
    [ "$code" = 202 ] || break
    sleep 0.1
done
[ "$code" = 204 ] || fail "the cancel's operation result ended with $code"
expect "$(call GET "$origin$vault/backupJobs/$running?api-version=$api")" '"status":"Cancelled"'

# ARM's refusals: an unknown api-version, no token.
answer=$(call GET "$origin$vault/backupJobs/$job?api-version=1999-01-01")
[ "$(status_of "$answer")" = 400 ] || fail "bad api-version: $answer"
expect "$answer" '"code":"InvalidApiVersionParameter"'
answer=$(curl --silent --noproxy '*' --write-out '\n%{http_code}' "$origin$vault/backupJobs/$job?api-version=$api")
[ "$(status_of "$answer")" = 401 ] || fail "no token: $answer"
expect "$answer" '"code":"AuthenticationFailed"'

call POST "$origin/_emulator/reset" >/dev/null
echo "azure/curl.sh: trigger, async operation, job, job list, recovery point and cancel answered as documented"

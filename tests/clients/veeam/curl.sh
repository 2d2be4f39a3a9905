#!/usr/bin/env bash
# Veeam Backup for Microsoft Azure with curl, as docs/emulators.md shows it: the
# password grant, a policy start (202, and 409 naming the running session), the
# session polled to its end, its log, the policy's sessions, the session's protected
# items and the latest restore points (the v8.1 spec's paths).
#
# Runs in the environment of `eval "$(backupctl emulate --detach --print-env)"`
# (tests/clients/run.sh does that): VEEAM_USERNAME, VEEAM_PASSWORD,
# BACKUPCTL_EMULATE_VEEAM_URL.
set -euo pipefail

fail() {
    echo "veeam/curl.sh: $*" >&2
    exit 1
}

url=${BACKUPCTL_EMULATE_VEEAM_URL:-}
[ -n "$url" ] || fail "BACKUPCTL_EMULATE_VEEAM_URL is not set: run it through tests/clients/run.sh"
base=${url%/}
policy=4094906f-2d81-4a73-b9bc-00482690c285

# `curl` against loopback only; the body, then the HTTP status on a last line.
call() {
    curl --silent --show-error --noproxy '*' --write-out '\n%{http_code}' "$@"
}

# Fails unless answer $1 has status $2 and contains $3 (when given); prints the body.
expect() {
    local body=${1%$'\n'*} status=${1##*$'\n'}
    [ "$status" = "$2" ] || fail "expected HTTP $2, got $status: $body"
    if [ $# -ge 3 ]; then
        case "$body" in
        *"$3"*) ;;
        *) fail "expected $3 in: $body" ;;
        esac
    fi
    printf '%s' "$body"
}

expect "$(call -X POST "$base/_emulator/reset")" 200 '"accepted_backups":0' >/dev/null

login=$(expect "$(call -X POST "$base/api/oauth2/token" \
    --data-urlencode grant_type=Password \
    --data-urlencode "username=$VEEAM_USERNAME" \
    --data-urlencode "password=$VEEAM_PASSWORD")" 200 '"token_type":"bearer"')
token=$(printf '%s' "$login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
[ -n "$token" ] && [ "$token" != "$login" ] || fail "no access_token in: $login"
auth=(--header "Authorization: Bearer $token")

start="$base/api/v8.1/policies/virtualMachines/$policy/start"
sessions=$(expect "$(call -X POST "${auth[@]}" "$start")" 202 '"policyType":"VirtualMachines"')
ids=$(printf '%s' "$sessions" | grep -oE '"id":"[^"]+"' | sed -E 's/"id":"([^"]+)"/\1/')
[ "$(printf '%s\n' "$ids" | wc -l)" -eq 2 ] || fail "expected two sessions in: $sessions"
first=$(printf '%s\n' "$ids" | head -1)
last=$(printf '%s\n' "$ids" | tail -1)

# The policy is running: a second start is refused, naming the running session.
expect "$(call -X POST "${auth[@]}" "$start")" 409 "\"sessionId\":\"$first\"" >/dev/null

for id in $ids; do
    deadline=$((SECONDS + 90))
    while :; do
        session=$(expect "$(call "${auth[@]}" "$base/api/v8.1/jobSessions/$id")" 200)
        case "$session" in
        *'"status":"Success"'*) break ;;
        *'"status":"Warning"'* | *'"status":"Error"'* | *'"status":"Canceled"'*) fail "session $id ended: $session" ;;
        esac
        [ "$SECONDS" -lt "$deadline" ] || fail "session $id did not end: $session"
        sleep 0.2
    done
done

expect "$(call "${auth[@]}" "$base/api/v8.1/jobSessions/$last/log")" 200 'Job finished with Success' >/dev/null
expect "$(call "${auth[@]}" "$base/api/v8.1/jobSessions?PolicyId=$policy")" 200 '"totalCount":2' >/dev/null
expect "$(call "${auth[@]}" "$base/api/v8.1/jobSessions/$last/protectedItems")" 200 "\"jobSessionId\":\"$last\"" >/dev/null
expect "$(call "${auth[@]}" "$base/api/v8.1/restorePoints/virtualMachines?OnlyLatest=true")" 200 \
    "\"jobSessionId\":\"$last\"" >/dev/null
expect "$(call "$base/api/v8.1/jobSessions/$last")" 401 '"status":401' >/dev/null
expect "$(call "$base/_emulator/state")" 200 '"accepted_backups":1' >/dev/null
echo "veeam/curl.sh: token, start, 409, session, log, sessions, protected items, restore points"

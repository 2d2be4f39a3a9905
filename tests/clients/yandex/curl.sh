#!/usr/bin/env bash
# The Yandex Cloud Backup emulator with curl, as Yandex's REST reference shows the calls
# (docs/vendors/yandex.md): exchange the OAuth token for an IAM token, execute the demo
# policy with an Idempotency-Key (a repeat answers the same operation), poll the
# Operation API until done, list the backup the run made (Backup.List by instance and
# policy), cancel by GET (POST is 405), and the google.rpc.Status error bodies (401
# UNAUTHENTICATED, 400 FAILED_PRECONDITION, 404 NOT_FOUND) with their RequestInfo.
#
# Runs in the environment of `eval "$(backupctl emulate --detach --print-env)"`
# (tests/clients/run.sh does that): BACKUPCTL_EMULATE_YANDEX_URL, YC_TOKEN.
set -euo pipefail

fail() {
    echo "yandex/curl.sh: $*" >&2
    exit 1
}

base=${BACKUPCTL_EMULATE_YANDEX_URL:?run it through tests/clients/run.sh}
oauth=${YC_TOKEN:?}
origin=$(printf '%s' "$base" | sed -E 's#^(https?://[^/]+).*#\1#')
# The emulator's demo resources (backup_yandex::emulator::DEMO_POLICY_ID,
# DEMO_INSTANCE_ID, DEMO_UNAPPLIED_INSTANCE_ID).
policy=cbq0demopolicy000001
instance=fhm0demoinstance0001
unapplied=fhm0otherinstance002

# Fails unless $1 (an answer) contains $2.
expect() {
    case "$1" in
    *"$2"*) ;;
    *) fail "expected $2 in: $1" ;;
    esac
}

# field JSON EXPRESSION: a value of a JSON answer (`data` is the parsed answer).
field() {
    printf '%s' "$1" | python3 -c "import json, sys; data = json.load(sys.stdin); print($2)"
}

# call [curl arguments...]: prints "<status> <body>".
call() {
    local out status
    out=$(curl --silent --show-error --noproxy '*' --write-out '\n%{http_code}' "$@")
    status=${out##*$'\n'}
    printf '%s %s' "$status" "${out%$'\n'*}"
}

curl --silent --show-error --noproxy '*' --fail -X POST "$origin/_emulator/reset" >/dev/null

# IAM token from the OAuth token (POST /iam/v1/tokens).
answer=$(call -X POST "${base}iam/v1/tokens" -H 'Content-Type: application/json' \
    -d "{\"yandexPassportOauthToken\": \"$oauth\"}")
expect "$answer" '200 {'
token=$(field "${answer#* }" 'data["iamToken"]')
expect "$token" 't1.'
auth="Authorization: Bearer $token"

# Policy.Execute with an Idempotency-Key: an Operation, not done yet.
key=$(cat /proc/sys/kernel/random/uuid)
execute() {
    call -X POST "${base}backup/v1/policies/$policy:execute" -H "$auth" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: $1" \
        -d "{\"computeInstanceId\": \"$2\"}"
}
answer=$(execute "$key" "$instance")
expect "$answer" '200 {'
expect "$answer" '"done":false'
expect "$answer" '"@type":"type.googleapis.com/yandex.cloud.backup.v1.ExecuteMetadata"'
operation=$(field "${answer#* }" 'data["id"]')
again=$(execute "$key" "$instance")
[ "$(field "${again#* }" 'data["id"]')" = "$operation" ] || fail "the same key started another operation: $again"

# The Operation API until done (each backup runs 2 s).
for _ in $(seq 1 300); do
    answer=$(call "${base}operations/$operation" -H "$auth")
    expect "$answer" '200 {'
    case "$answer" in *'"done":true'*) break ;; esac
    sleep 0.2
done
expect "$answer" '"done":true'
expect "$answer" '"response":{"@type":"type.googleapis.com/google.protobuf.Empty"}'
expect "$answer" '"progressPercentage":"100"'
created=$(field "${answer#* }" 'data["createdAt"]')
modified=$(field "${answer#* }" 'data["modifiedAt"]')

# Backup.List by instance and policy: the backup that run made, sizes as int64 strings.
answer=$(call --get "${base}backup/v1/backups" -H "$auth" \
    --data-urlencode "instancePolicy.computeInstanceId=$instance" \
    --data-urlencode "instancePolicy.policyId=$policy")
expect "$answer" '200 {'
[ "$(field "${answer#* }" 'len(data["backups"])')" = 1 ] || fail "one backup expected: $answer"
expect "$answer" '"type":"FULL"'
expect "$answer" '"size":"1610612736"'
expect "$answer" "\"computeInstanceId\":\"$instance\""
backup_created=$(field "${answer#* }" 'data["backups"][0]["createdAt"]')
python3 - "$created" "$backup_created" "$modified" <<'EOF' || fail "the backup was not made while the operation ran"
import datetime, re, sys
def parse(text):
    # RFC 3339 with up to 9 fraction digits; Python takes 6.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text)
start, made, end = map(parse, sys.argv[1:])
sys.exit(0 if start <= made <= end else 1)
EOF

# Cancel is a GET (POST answers 405); a cancelled operation ends with CANCELLED.
curl --silent --show-error --noproxy '*' --fail -X POST "$origin/_emulator/lifecycle" \
    -d '{"duration_s": 30}' >/dev/null
answer=$(execute "$(cat /proc/sys/kernel/random/uuid)" "$instance")
operation=$(field "${answer#* }" 'data["id"]')
answer=$(call -X POST "${base}operations/$operation:cancel" -H "$auth")
expect "$answer" '405 {'
answer=$(call "${base}operations/$operation:cancel" -H "$auth")
expect "$answer" '200 {'
for _ in 1 2 3; do
    answer=$(call "${base}operations/$operation" -H "$auth")
done
expect "$answer" '"done":true'
expect "$answer" '"code":1'

# Errors: google.rpc.Status with a RequestInfo detail, the gateway's HTTP status.
answer=$(call "${base}operations/$operation")
expect "$answer" '401 {'
expect "$answer" '"code":16'
expect "$answer" '"@type":"type.googleapis.com/google.rpc.RequestInfo"'
answer=$(execute "$(cat /proc/sys/kernel/random/uuid)" "$unapplied")
expect "$answer" '400 {'
expect "$answer" '"code":9'
answer=$(call "${base}operations/cdgnosuchoperation00" -H "$auth")
expect "$answer" '404 {'
expect "$answer" '"code":5'
answer=$(call "${base}backup/v1/backups" -H "$auth")
expect "$answer" '400 {'
expect "$answer" '"code":3'

state=$(curl --silent --show-error --noproxy '*' --fail -X POST "$origin/_emulator/reset")
expect "$state" '"accepted_backups":0'
echo "yandex/curl.sh: token, execute (idempotent), operation, backup list, cancel and errors answered as documented"

#!/usr/bin/env bash
# The Huawei CSBS emulator with curl, signing each request with AK/SK `SDK-HMAC-SHA256`
# in shell (openssl and sha256sum), as docs/vendors/huawei-csbs.md describes the
# algorithm: execute the demo backup policy (create a checkpoint), list its backups until
# they are listed, read each one until it is available (its size is its disks' sizes),
# list the policy's backups since a time, a second execution refused with CSBS.1001, a
# wrong signature refused with APIGW.0301.
#
# Runs in the environment of `eval "$(backupctl emulate --detach --print-env)"`
# (tests/clients/run.sh does that): BACKUPCTL_EMULATE_HUAWEI_CSBS_URL,
# HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID.
set -euo pipefail

fail() {
    echo "huawei-csbs/curl.sh: $*" >&2
    exit 1
}

command -v openssl >/dev/null || fail "openssl is not installed: signing needs it"
base=${BACKUPCTL_EMULATE_HUAWEI_CSBS_URL:?run it through tests/clients/run.sh}
ak=${HUAWEICLOUD_SDK_AK:?} sk=${HUAWEICLOUD_SDK_SK:?} project=${HUAWEICLOUD_SDK_PROJECT_ID:?}
origin=${base%/}
host=${origin#*://}
# The emulator's demo policy: the plan_id of the example request of "Executing a Backup
# Policy" (docs/vendors/huawei-csbs.md, `DEMO_PLAN_ID`).
plan=62171999-3df1-42f7-9513-6f9b1bea4744
provider=fc4d5750-22e7-4798-8a46-f48f62c4c1da
nl=$'\n'

# Fails unless $1 (an answer) contains $2.
expect() {
    case "$1" in
    *"$2"*) ;;
    *) fail "expected $2 in: $1" ;;
    esac
}

sha256() {
    printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# signed METHOD PATH [QUERY [BODY]]: the request signed with $sk (the query already in
# canonical form: keys sorted, values percent-encoded), then sent; prints
# "<status> <body>". The path's segments need no encoding here (ids only).
signed() {
    local method=$1 path=$2 query=${3:-} body=${4:-} key=${SIGN_WITH:-$sk}
    local date headers signed_headers canonical string_to_sign signature url
    date=$(date -u +%Y%m%dT%H%M%SZ)
    if [ -n "$body" ]; then
        headers="content-type:application/json${nl}host:$host${nl}x-sdk-date:$date${nl}"
        signed_headers="content-type;host;x-sdk-date"
    else
        headers="host:$host${nl}x-sdk-date:$date${nl}"
        signed_headers="host;x-sdk-date"
    fi
    canonical="$method${nl}$path/${nl}$query${nl}$headers${nl}$signed_headers${nl}$(sha256 "$body")"
    string_to_sign="SDK-HMAC-SHA256${nl}$date${nl}$(sha256 "$canonical")"
    signature=$(printf '%s' "$string_to_sign" | openssl dgst -sha256 -hmac "$key" | sed 's/^.*= //')
    url="$origin$path${query:+?$query}"
    local args=(--silent --show-error --noproxy '*' --write-out ' %{http_code}' -X "$method"
        -H "X-Sdk-Date: $date"
        -H "Authorization: SDK-HMAC-SHA256 Access=$ak, SignedHeaders=$signed_headers, Signature=$signature")
    [ -n "$body" ] && args+=(-H "Content-Type: application/json" --data-binary "$body")
    local answer
    answer=$(curl "${args[@]}" "$url")
    # "<body> <status>" -> "<status> <body>"
    printf '%s %s' "${answer##* }" "${answer% *}"
}

json() {
    python3 -c "import json, sys; data = json.load(sys.stdin); print($1)"
}

curl --silent --show-error --noproxy '*' --fail-with-body -X POST "$origin/_emulator/reset" >/dev/null
since=$(date -u -d '-5 seconds' +%Y-%m-%dT%H:%M:%S.000000)

# Execute the policy: create a checkpoint (the document's request body).
create="{\"checkpoint\":{\"plan_id\":\"$plan\",\"parameters\":{\"auto_trigger\":false}}}"
answer=$(signed POST "/v1/$project/providers/$provider/checkpoints" "" "$create")
expect "$answer" '200 {"checkpoint":'
expect "$answer" '"status":"protecting"'
checkpoint=$(printf '%s' "${answer#* }" | json 'data["checkpoint"]["id"]')

# A second execution while the first runs is refused.
answer=$(signed POST "/v1/$project/providers/$provider/checkpoints" "" "$create")
expect "$answer" '500 '
expect "$answer" '"error_code":"CSBS.1001"'

# Its backups, once listed (right after creation none are).
items=""
for _ in $(seq 1 150); do
    answer=$(signed GET "/v1/$project/checkpoint_items" "checkpoint_id=$checkpoint")
    expect "$answer" '200 '
    items=$(printf '%s' "${answer#* }" | json '" ".join(i["id"] for i in data["checkpoint_items"])')
    [ -n "$items" ] && break
    sleep 0.2
done
[ -n "$items" ] || fail "no backup of checkpoint $checkpoint listed"

# Each backup until available: its size (MB) is its disks'.
for item in $items; do
    status=""
    for _ in $(seq 1 150); do
        answer=$(signed GET "/v1/$project/checkpoint_items/$item")
        expect "$answer" '200 {"checkpoint_item":'
        status=$(printf '%s' "${answer#* }" | json 'data["checkpoint_item"]["status"]')
        [ "$status" = available ] && break
        sleep 0.2
    done
    [ "$status" = available ] || fail "backup $item is $status"
    sizes=$(printf '%s' "${answer#* }" |
        json 'data["checkpoint_item"]["extend_info"]["size"], sum(v["size"] for v in data["checkpoint_item"]["extend_info"]["volume_backups"])')
    read -r size disks <<<"$sizes"
    [ "$size" -gt 0 ] && [ "$size" = "$disks" ] || fail "backup $item: size $size, disks $disks"
done

# The policy's backups started since a time ("Querying All Backups": policy_id,
# start_time; `:` percent-encoded in the canonical query).
encoded_since=${since//:/%3A}
answer=$(signed GET "/v1/$project/checkpoint_items" "policy_id=$plan&start_time=$encoded_since")
expect "$answer" '200 '
listed=$(printf '%s' "${answer#* }" | json '" ".join(sorted(i["id"] for i in data["checkpoint_items"]))')
[ "$listed" = "$(printf '%s\n' $items | sort | paste -sd' ')" ] || fail "policy list: $listed, checkpoint: $items"

# A signature made with another secret key is refused.
answer=$(SIGN_WITH=not-the-secret signed GET "/v1/$project/checkpoint_items" "checkpoint_id=$checkpoint")
expect "$answer" '401 '
expect "$answer" '"error_code":"APIGW.0301"'

state=$(curl --silent --show-error --noproxy '*' --fail-with-body "$origin/_emulator/state")
expect "$state" '"accepted_backups":1'
echo "huawei-csbs/curl.sh: a signed checkpoint, its $(wc -w <<<"$items") backups to their end, the policy's list and both refusals answered as documented"

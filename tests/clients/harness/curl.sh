#!/usr/bin/env bash
# The control API of every emulator, with curl, as docs/emulators.md shows it.
#
# Runs in the environment of `eval "$(backupctl emulate --detach --print-env)"`
# (tests/clients/run.sh does that): BACKUPCTL_EMULATE_<VENDOR>_URL for each vendor.
set -euo pipefail

fail() {
    echo "harness/curl.sh: $*" >&2
    exit 1
}

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

urls=$(compgen -v BACKUPCTL_EMULATE_ | grep '_URL$' || true)
[ -n "$urls" ] || fail "no BACKUPCTL_EMULATE_*_URL in the environment: run it through tests/clients/run.sh"

checked=0
for variable in $urls; do
    url=${!variable}
    # The control API is at the server's root, whatever path the vendor's base has.
    origin=$(printf '%s' "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
    control="$origin/_emulator"

    state=$(call -X POST "$control/reset")
    expect "$state" '"accepted_backups":0'

    # The next backups fail with a reason; the lifecycle says so.
    lifecycle=$(call -X POST "$control/lifecycle" -d '{"outcome": "failure", "reason": "disk full"}')
    expect "$lifecycle" '"outcome":"failure"'
    expect "$lifecycle" '"reason":"disk full"'

    # The next two requests of any class are refused with 503 and Retry-After: 2.
    faults=$(call -X POST "$control/faults" \
        -d '{"route": "any", "times": 2, "fault": {"kind": "status", "status": 503, "retry_after_s": 2}}')
    expect "$faults" '"pending":2'
    for _ in 1 2; do
        headers=$(curl --silent --noproxy '*' --output /dev/null --dump-header - "${url}probe")
        expect "$headers" 'HTTP/1.1 503'
        expect "$(printf '%s' "$headers" | tr 'A-Z' 'a-z')" 'retry-after: 2'
    done

    log=$(call "$control/requests?limit=1")
    expect "$log" '"total":2'
    expect "$log" '"kind":"status"'

    state=$(call "$control/state")
    expect "$state" '"faults":{"fired":2,"pending":0}'

    # A bad request is refused with what is wrong.
    refused=$(curl --silent --noproxy '*' -X POST "$control/faults" -d '{"route": "nowhere"}')
    expect "$refused" '"error":"invalid JSON body: unknown variant `nowhere`'

    state=$(call -X POST "$control/reset")
    expect "$state" '"outcome":"success"'
    expect "$state" '"total":0'
    checked=$((checked + 1))
done
echo "harness/curl.sh: the control API of $checked emulators answered as documented"

#!/usr/bin/env bash
# WebDAV client tests (SPEC §7, issue 6): real clients against the built service.
#   - litmus 0.13 (the WebDAV compliance suite) on /dav/ and /backup/ (Basic), and on /v2/dav/
#     with an OAuth Bearer token obtained through the real code + PKCE flow
#     (scripts/oauth-token.mjs); litmus cannot send a bearer, so it goes through a loopback proxy
#     that adds the header (scripts/bearer-proxy.mjs);
#   - rclone copy and sync round trips on /dav/, compared byte for byte (`rclone check --download`
#     and sha256sum of a fresh download), and a round trip on /v2/dav/ with rclone's
#     `bearer_token` option;
#   - a cadaver session: mkcol, put, get, lock, unlock, propset, delete.
# Starts `node dist/src/main.js` (run `npm run build` first) on a fresh data folder and a random
# port, creates a legacy account (Basic with its login password) through the operator API, and
# prints `clients: N passed, N failed`; exits non-zero when anything failed.
# Needs curl, litmus, rclone and cadaver (.ci/run installs them).
# /v2/dav/ takes OAuth Bearer tokens only; test/e2e/dav.e2e-spec.ts also covers tokens with and
# without the dav scope and Basic refused there.
set -uo pipefail
cd "$(dirname "$0")/.."

# Node 24 as .ci/run uses (the machines' own Node is too old for the build), when run on its own.
if [ -f ../shared/tools/node24.sh ] && ! node -e 'process.exit(+process.versions.node.split(".")[0] < 22)' 2>/dev/null; then
  . ../shared/tools/node24.sh >/dev/null
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" >>"$work/checks.log" 2>&1; then ok "$what"; else bad "$what (see below)"; tail -n 20 "$work/checks.log"; fi; }

for tool in curl litmus rclone cadaver; do
  command -v "$tool" >/dev/null || { echo "ci-clients: $tool is not installed"; echo "clients: 0 passed, 1 failed"; exit 1; }
done

work=$(mktemp -d)
port=$(( 20000 + RANDOM % 20000 ))
B="http://127.0.0.1:$port"
ADMIN_PASSWORD="ci-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
USER_LOGIN=davclient
USER_PASSWORD="ci-dav-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

DATA_DIR="$work/data" PORT="$port" LOG_LEVEL=warn BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" node dist/src/main.js >"$work/server.log" 2>&1 &
pid=$!
proxy_pid=
cleanup() {
  [ -n "$proxy_pid" ] && { kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; }
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 200); do
  curl -fs "$B/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "clients: 0 passed, 1 failed"; exit 1; }
  sleep 0.1
done

# The operator creates an imported (legacy) account: Basic with its login password (SPEC §4.2).
csrf=$(curl -s -c "$work/jar" -H 'content-type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" "$B/auth/login" | sed -n 's/.*"csrfToken":"\([^"]*\)".*/\1/p')
status=$(curl -s -o "$work/account.json" -w '%{http_code}' -b "$work/jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
  -d "{\"login\":\"$USER_LOGIN\",\"password\":\"$USER_PASSWORD\",\"email\":\"dav@example.com\",\"registeredAt\":\"2020-01-01T00:00:00Z\"}" \
  "$B/api/admin/accounts")
if [ "$status" = 201 ]; then ok "operator creates a legacy account"; else bad "operator creates a legacy account ($status)"; cat "$work/account.json"; fi

# --- litmus -------------------------------------------------------------------------------
for mount in dav backup; do
  out="$work/litmus-$mount.log"
  # From the work folder: litmus writes debug.log and child.log into the current directory.
  (cd "$work" && timeout 600 litmus "$B/$mount/" "$USER_LOGIN" "$USER_PASSWORD" >"$out" 2>&1)
  lp=$(awk '/tests run:/ { for (i = 1; i <= NF; i++) if ($i == "passed,") s += $(i - 1) } END { print s + 0 }' "$out")
  lf=$(awk '/tests run:/ { for (i = 1; i <= NF; i++) if ($i == "failed.") s += $(i - 1) } END { print s + 0 }' "$out")
  passed=$((passed + lp)); failed=$((failed + lf))
  echo "litmus /$mount/: $lp passed, $lf failed (of $((lp + lf)))"
  grep -aE 'FAIL|WARNING|summary' "$out" | sed 's/^/    /'
  if [ $((lp + lf)) -lt 104 ]; then bad "litmus /$mount/ ran only $((lp + lf)) of 104 tests"; sed 's/^/    /' "$out" | tail -n 30; fi
done

# --- /v2/dav/ with an OAuth Bearer token ---------------------------------------------------
# A token with scope dav through the real flow: an approved application, code + PKCE through the
# sign-in and consent pages as the user, the code exchanged at /oauth/token.
token=$(PORTCULLIS_URL="$B" ADMIN_PASSWORD="$ADMIN_PASSWORD" OAUTH_LOGIN="$USER_LOGIN" OAUTH_PASSWORD="$USER_PASSWORD" \
  OAUTH_SCOPE=dav node scripts/oauth-token.mjs --field access_token 2>"$work/oauth-token.log")
if [ -n "$token" ]; then ok "OAuth code + PKCE flow issues a dav token"; else bad "OAuth code + PKCE flow issues a dav token"; sed 's/^/    /' "$work/oauth-token.log"; fi
if [ -n "$token" ]; then
  status=$(curl -s -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 0' -H "Authorization: Bearer $token" "$B/v2/dav/")
  if [ "$status" = 207 ]; then ok "PROPFIND /v2/dav/ with the bearer is 207"; else bad "PROPFIND /v2/dav/ with the bearer is 207 (got $status)"; fi
  BEARER_TOKEN="$token" TARGET_URL="$B" node scripts/bearer-proxy.mjs 0 >"$work/proxy.out" 2>&1 &
  proxy_pid=$!
  proxy_port=
  for _ in $(seq 1 100); do
    proxy_port=$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$work/proxy.out")
    [ -n "$proxy_port" ] && break
    kill -0 "$proxy_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$proxy_port" ]; then
    bad "bearer proxy starts"; sed 's/^/    /' "$work/proxy.out"
  else
    out="$work/litmus-v2dav.log"
    (cd "$work" && timeout 600 litmus "http://127.0.0.1:$proxy_port/v2/dav/" >"$out" 2>&1)
    lp=$(awk '/tests run:/ { for (i = 1; i <= NF; i++) if ($i == "passed,") s += $(i - 1) } END { print s + 0 }' "$out")
    lf=$(awk '/tests run:/ { for (i = 1; i <= NF; i++) if ($i == "failed.") s += $(i - 1) } END { print s + 0 }' "$out")
    passed=$((passed + lp)); failed=$((failed + lf))
    echo "litmus /v2/dav/ (Bearer via loopback proxy): $lp passed, $lf failed (of $((lp + lf)))"
    grep -aE 'FAIL|WARNING|summary' "$out" | sed 's/^/    /'
    if [ $((lp + lf)) -lt 104 ]; then bad "litmus /v2/dav/ ran only $((lp + lf)) of 104 tests"; sed 's/^/    /' "$out" | tail -n 30; fi
    kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; proxy_pid=
  fi
fi

# --- rclone -------------------------------------------------------------------------------
export RCLONE_CONFIG="$work/rclone.conf"
: >"$RCLONE_CONFIG"
export RCLONE_CONFIG_PCDAV_TYPE=webdav RCLONE_CONFIG_PCDAV_URL="$B/dav/" RCLONE_CONFIG_PCDAV_VENDOR=other \
  RCLONE_CONFIG_PCDAV_USER="$USER_LOGIN" RCLONE_CONFIG_PCDAV_PASS="$(rclone obscure "$USER_PASSWORD")"
src="$work/tree"
mkdir -p "$src/nested/deeper" "$src/names with spaces" "$src/ünïcødé"
head -c 20000000 /dev/urandom >"$src/big.bin"
head -c 1 /dev/urandom >"$src/one-byte"
: >"$src/empty"
echo '{"a json": "file"}' >"$src/data.json"
echo '<xml>as a file</xml>' >"$src/nested/doc.xml"
for i in $(seq 1 40); do head -c $((RANDOM * 3)) /dev/urandom >"$src/nested/deeper/f$i.dat"; done
echo hello >"$src/names with spaces/a b;c%d.txt"
echo grüße >"$src/ünïcødé/日本語.txt"

rc() { rclone --retries 1 --low-level-retries 1 "$@"; }
check "rclone copy to /dav/" rc copy "$src" pcdav:roundtrip
check "rclone check --download after copy" rc check --download "$src" pcdav:roundtrip
echo changed >"$src/nested/doc.xml"
rm "$src/nested/deeper/f1.dat"
head -c 5000 /dev/urandom >"$src/nested/new.bin"
check "rclone sync to /dav/" rc sync "$src" pcdav:roundtrip
check "rclone check --download after sync" rc check --download "$src" pcdav:roundtrip
check "rclone copy back from /dav/" rc copy pcdav:roundtrip "$work/back"
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
check "sha256 of the downloaded tree equals the original" diff <(sums "$src") <(sums "$work/back")
check "rclone moves a folder server-side" rc moveto pcdav:roundtrip/nested pcdav:roundtrip/moved
check "rclone lists the moved folder" bash -c "rclone lsf pcdav:roundtrip/moved | grep -qx 'doc.xml'"
check "rclone purge" rc purge pcdav:roundtrip

# rclone on /v2/dav/ with its bearer_token option (no proxy): copy, compare, fetch back, purge.
if [ -n "$token" ]; then
  export RCLONE_CONFIG_PCBEARER_TYPE=webdav RCLONE_CONFIG_PCBEARER_URL="$B/v2/dav/" RCLONE_CONFIG_PCBEARER_VENDOR=other \
    RCLONE_CONFIG_PCBEARER_BEARER_TOKEN="$token"
  check "rclone copy to /v2/dav/ (bearer_token)" rc copy "$src" pcbearer:bearer-roundtrip
  check "rclone check --download on /v2/dav/" rc check --download "$src" pcbearer:bearer-roundtrip
  check "rclone copy back from /v2/dav/" rc copy pcbearer:bearer-roundtrip "$work/back-bearer"
  check "sha256 of the tree fetched over /v2/dav/ equals the original" diff <(sums "$src") <(sums "$work/back-bearer")
  check "rclone purge on /v2/dav/" rc purge pcbearer:bearer-roundtrip
else
  bad "rclone on /v2/dav/ skipped: no token"
fi

# --- cadaver ------------------------------------------------------------------------------
home="$work/home"
mkdir -p "$home"
printf 'machine 127.0.0.1\nlogin %s\npassword %s\n' "$USER_LOGIN" "$USER_PASSWORD" >"$home/.netrc"
chmod 600 "$home/.netrc"
printf 'cadaver says hello\n' >"$work/cadaver-up.txt"
cat >"$work/cadaver.cmds" <<EOF
mkcol cadaver
cd cadaver
put $work/cadaver-up.txt up.txt
lock up.txt
put $work/cadaver-up.txt up.txt
unlock up.txt
propset up.txt color blue
propget up.txt color
get up.txt $work/cadaver-down.txt
copy up.txt copy.txt
move copy.txt moved.txt
ls
delete moved.txt
quit
EOF
(cd "$work" && HOME="$home" timeout 120 cadaver "$B/dav/" <"$work/cadaver.cmds" >"$work/cadaver.log" 2>&1)
cad() { grep -q "$2" "$work/cadaver.log" && ok "cadaver $1" || { bad "cadaver $1"; sed 's/^/    /' "$work/cadaver.log"; }; }
cad mkcol 'Creating `cadaver'"'"': succeeded'
cad put 'Uploading .* to `/dav/cadaver/up.txt'"'"':.*succeeded'
cad lock 'Locking `up.txt'"'"': succeeded'
cad unlock 'Unlocking `up.txt'"'"': succeeded'
cad propset 'Setting property on `up.txt'"'"': succeeded'
cad propget 'blue'
cad copy 'Copying `/dav/cadaver/up.txt'"'"' to `/dav/cadaver/copy.txt'"'"': *succeeded'
cad move 'Moving `/dav/cadaver/copy.txt'"'"' to `/dav/cadaver/moved.txt'"'"': *succeeded'
cad delete 'Deleting `moved.txt'"'"': succeeded'
if cmp -s "$work/cadaver-up.txt" "$work/cadaver-down.txt"; then ok "cadaver get returns what put stored"; else bad "cadaver get returns what put stored"; fi
if grep -qi 'failed' "$work/cadaver.log"; then bad "cadaver reported a failure"; sed 's/^/    /' "$work/cadaver.log"; fi

if grep -q '"level":50' "$work/server.log"; then bad "the server logged errors"; grep '"level":50' "$work/server.log" | head -n 5; fi

echo "clients: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

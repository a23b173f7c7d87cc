#!/usr/bin/env bash
# WebDAV client tests (contract §7, issue 6): real clients against the built service.
#   - litmus 0.13 (the WebDAV compliance suite) on /dav/ and /backup/ (Basic), and on /v2/dav/
#     with an OAuth Bearer token obtained through the real code + PKCE flow
#     (scripts/oauth-token.mjs); litmus cannot send a bearer, so it goes through a loopback proxy
#     that adds the header (scripts/bearer-proxy.mjs);
#   - rclone copy and sync round trips on /dav/, compared byte for byte (`rclone check --download`
#     and sha256sum of a fresh download), and a round trip on /v2/dav/ with rclone's
#     `bearer_token` option;
#   - rclone as a sync client (vendor owncloud: X-OC-Mtime, OC-Checksum, oc:checksums): times
#     kept, `rclone check` comparing hashes (not --download) through same-size edits, and two
#     rounds of `rclone bisync` with changes on both sides (issue 16);
#   - a cadaver session: mkcol, put, get, lock, unlock, propset, delete;
#   - davfs2: /dav/ mounted through FUSE (secrets file, use_locks), write, read back, rename,
#     delete, a 50 MiB file compared by checksum, unmount, and read back through a fresh mount.
#     Skipped (printed, not failed) only where this machine cannot mount FUSE.
# Starts `node dist/src/main.js` (run `npm run build` first) on a fresh data folder and a random
# port, creates a legacy account (Basic with its login password) through the operator API, and
# prints `clients: N passed, N failed`; exits non-zero when anything failed.
# Needs curl, litmus, rclone, cadaver and davfs2 (.ci/run installs them); root, for mount.davfs.
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

for tool in curl litmus rclone cadaver mount.davfs; do
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
davfs_mounts=()
davfs_cache=
cleanup() {
  # Unmounted before the work folder goes: rm -r through a mount would delete the files it shows.
  for m in "${davfs_mounts[@]}"; do mountpoint -q "$m" && umount "$m"; done
  [ -n "$davfs_cache" ] && rm -rf "$davfs_cache"
  [ -n "$proxy_pid" ] && { kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; }
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 200); do
  curl -fs "$B/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "clients: 0 passed, 1 failed"; exit 1; }
  sleep 0.1
done

# The operator creates an imported (legacy) account: Basic with its login password (contract §4.2).
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

# rclone as a sync client (issue 16): vendor owncloud sends each file's time (X-OC-Mtime) and
# SHA1 (OC-Checksum) with the upload and reads oc:checksums back, so it keeps times and compares
# hashes. (The nextcloud vendor also wants Nextcloud's chunked-upload endpoint, which we lack.)
export RCLONE_CONFIG_PCOC_TYPE=webdav RCLONE_CONFIG_PCOC_URL="$B/dav/" RCLONE_CONFIG_PCOC_VENDOR=owncloud \
  RCLONE_CONFIG_PCOC_USER="$USER_LOGIN" RCLONE_CONFIG_PCOC_PASS="$(rclone obscure "$USER_PASSWORD")"
sync_src="$work/sync-src"
mkdir -p "$sync_src/docs"
printf 'version 1\n' >"$sync_src/docs/note.txt"
head -c 300000 /dev/urandom >"$sync_src/docs/data.bin"
printf 'unchanged\n' >"$sync_src/keep.txt"
# Times in the past: an edit below always lands in another second than the file's time.
touch -d '2021-03-04 05:06:07' "$sync_src/docs/note.txt" "$sync_src/docs/data.bin" "$sync_src/keep.txt"
# `rclone check` without --download: sizes and MD5s, and it says when it could compare no hash.
hash_check() { # match | differ
  local out rc
  out=$(rclone check "$sync_src" pcoc:sync 2>&1); rc=$?
  printf '%s\n' "$out"
  if grep -qE 'No common hash|hashes could not be checked' <<<"$out"; then echo "rclone check compared no hashes"; return 1; fi
  if [ "$1" = match ]; then [ "$rc" -eq 0 ] && grep -q ' 0 differences found' <<<"$out"; else [ "$rc" -ne 0 ] && grep -q 'md5 differ' <<<"$out"; fi
}
same_times() { diff <(rclone lsf -R --files-only --format tp "$sync_src" | sort) <(rclone lsf -R --files-only --format tp pcoc:sync | sort); }
check "rclone (owncloud vendor) sync to /dav/" rc sync "$sync_src" pcoc:sync
check "the server keeps the files' times (X-OC-Mtime)" same_times
check "rclone check compares hashes: a match after sync" hash_check match
printf 'version 2\n' >"$sync_src/docs/note.txt" # the same size
check "rclone check sees a same-size edit (md5 differ)" hash_check differ
check "rclone sync uploads the same-size edit" rc sync "$sync_src" pcoc:sync
check "the server has the edit" bash -c '[ "$(rclone cat pcoc:sync/docs/note.txt)" = "version 2" ]'
check "rclone check: a match again" hash_check match
# Same size and the time put back: only the hashes can tell, and they do.
head -c 300000 /dev/urandom >"$sync_src/docs/data.bin"
touch -d '2021-03-04 05:06:07' "$sync_src/docs/data.bin"
check "rclone check sees an edit with the same size and time" hash_check differ
check "rclone sync --checksum uploads it" rc sync --checksum "$sync_src" pcoc:sync
check "rclone check: a match after sync --checksum" hash_check match
# bisync needs times on both sides (it refused to run when the server could not keep them).
bisync_wd="$work/bisync-wd"
check "rclone bisync, first run (--resync)" rc bisync "$sync_src" pcoc:sync --resync --workdir "$bisync_wd"
printf 'changed locally\n' >"$sync_src/keep.txt"
printf 'new locally\n' >"$sync_src/docs/local-new.txt"
printf 'new on the server\n' >"$work/remote-new.txt"
check "another client adds a file on the server" rc copyto "$work/remote-new.txt" pcoc:sync/docs/remote-new.txt
check "another client deletes a file on the server" rc deletefile pcoc:sync/docs/data.bin
check "rclone bisync, second run: changes on both sides" rc bisync "$sync_src" pcoc:sync --workdir "$bisync_wd"
check "bisync brought the server's new file here" cmp "$work/remote-new.txt" "$sync_src/docs/remote-new.txt"
check "bisync applied the server's delete here" test ! -e "$sync_src/docs/data.bin"
check "bisync sent the local changes to the server" bash -c '[ "$(rclone cat pcoc:sync/keep.txt)" = "changed locally" ] && [ "$(rclone cat pcoc:sync/docs/local-new.txt)" = "new locally" ]'
check "after bisync both sides have the same times" same_times
check "after bisync rclone check matches by hash" hash_check match
check "rclone purge (owncloud vendor)" rc purge pcoc:sync

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

# --- davfs2 ---------------------------------------------------------------------------------
# /dav/ mounted through FUSE, credentials from a secrets file, with WebDAV locks. Skipped, and
# said so, only where this machine cannot mount FUSE: no /dev/fuse, or mount.davfs failing to
# open or load fuse or not permitted to mount. Any other failure fails.
davfs_secrets="$work/davfs.secrets"
printf '%s %s %s\n' "$B/dav/" "$USER_LOGIN" "$USER_PASSWORD" >"$davfs_secrets"
chmod 600 "$davfs_secrets"
# Started by root, mount.davfs runs as the user davfs2 and wants a cache folder like Debian's
# /var/cache/davfs2 (root:davfs2, 775); the work folder stays closed to it.
davfs_cache=$(mktemp -d)
chgrp davfs2 "$davfs_cache" && chmod 775 "$davfs_cache"
# Mounts /dav/ on $1 with its own cache; returns 2 (after saying why) where FUSE cannot be mounted.
davfs_mount() {
  local mnt=$1 conf="$1.conf" log="$1.log"
  mkdir -p "$mnt"
  # buf_size in KiB; delay_upload 0: a closed file goes to the server at once.
  printf 'secrets %s\ncache_dir %s\nuse_locks 1\nbuf_size 128\ndelay_upload 0\n' "$davfs_secrets" "$davfs_cache" >"$conf"
  # DAVFS_FUSE_DEVICE: another path to look for, to try the skip on a machine that has FUSE.
  if [ ! -c "${DAVFS_FUSE_DEVICE:-/dev/fuse}" ]; then echo "skip davfs2: ${DAVFS_FUSE_DEVICE:-/dev/fuse} is not a character device (no FUSE on this machine)"; return 2; fi
  if timeout 120 mount.davfs -o "conf=$conf" "$B/dav/" "$mnt" >"$log" 2>&1 </dev/null; then
    davfs_mounts+=("$mnt")
    return 0
  fi
  if grep -qE "can't open fuse device|loading kernel module fuse failed|mounting failed: Operation not permitted" "$log"; then
    echo "skip davfs2: this machine cannot mount FUSE: $(grep -m1 -E "fuse|Operation not permitted" "$log")"
    return 2
  fi
  sed 's/^/    /' "$log"
  return 1
}
mnt="$work/davfs-mnt"
davfs_mount "$mnt"
mounted=$?
if [ "$mounted" -eq 1 ]; then bad "mount.davfs mounts /dav/ (see above)"; fi
if [ "$mounted" -eq 0 ]; then
  ok "mount.davfs mounts /dav/ (secrets file, use_locks)"
  head -c $((50 * 1024 * 1024)) /dev/urandom >"$work/davfs-big.bin"
  printf 'davfs2 says hello\n' >"$work/davfs-hello.txt"
  check "davfs2: mkdir" mkdir "$mnt/davfs"
  check "davfs2: write a file" cp "$work/davfs-hello.txt" "$mnt/davfs/hello.txt"
  check "davfs2: read it back" cmp "$work/davfs-hello.txt" "$mnt/davfs/hello.txt"
  check "davfs2: write a file to rename" cp "$work/davfs-hello.txt" "$mnt/davfs/before.txt"
  check "davfs2: rename" mv "$mnt/davfs/before.txt" "$mnt/davfs/after.txt"
  check "davfs2: the renamed file reads back" cmp "$work/davfs-hello.txt" "$mnt/davfs/after.txt"
  check "davfs2: delete" rm "$mnt/davfs/after.txt"
  check "davfs2: write 50 MiB" cp "$work/davfs-big.bin" "$mnt/davfs/big.bin"
  check "davfs2: the 50 MiB file's sha256 through the mount" bash -c "[ \"\$(sha256sum <'$mnt/davfs/big.bin' | cut -d' ' -f1)\" = \"\$(sha256sum <'$work/davfs-big.bin' | cut -d' ' -f1)\" ]"
  # umount waits for mount.davfs to upload what it still holds.
  check "davfs2: unmount" umount "$mnt"
  check "davfs2: the server has the file written" bash -c "[ \"\$(curl -s -u '$USER_LOGIN:$USER_PASSWORD' '$B/dav/davfs/hello.txt')\" = 'davfs2 says hello' ]"
  check "davfs2: the server has neither name of the renamed, deleted file" bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -u '$USER_LOGIN:$USER_PASSWORD' '$B/dav/davfs/before.txt')\$(curl -s -o /dev/null -w '%{http_code}' -u '$USER_LOGIN:$USER_PASSWORD' '$B/dav/davfs/after.txt')\" = 404404 ]"
  check "davfs2: the server's 50 MiB file has the same sha256" bash -c "[ \"\$(curl -s -u '$USER_LOGIN:$USER_PASSWORD' '$B/dav/davfs/big.bin' | sha256sum | cut -d' ' -f1)\" = \"\$(sha256sum <'$work/davfs-big.bin' | cut -d' ' -f1)\" ]"
  sha1=$(sha1sum <"$work/davfs-big.bin" | cut -d' ' -f1)
  check "davfs2: oc:checksums of the 50 MiB file is its SHA1" bash -c "curl -s -u '$USER_LOGIN:$USER_PASSWORD' -X PROPFIND -H 'Depth: 0' \
    --data '<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\" xmlns:oc=\"http://owncloud.org/ns\"><d:prop><oc:checksums/></d:prop></d:propfind>' \
    '$B/dav/davfs/big.bin' | grep -q 'SHA1:$sha1 '"
  # A fresh mount with an empty cache reads what the server has.
  davfs_mount "$work/davfs-mnt2"
  if [ $? -eq 0 ]; then
    ok "mount.davfs mounts /dav/ again"
    check "davfs2: a fresh mount reads the file back" cmp "$work/davfs-hello.txt" "$work/davfs-mnt2/davfs/hello.txt"
    check "davfs2: a fresh mount reads the 50 MiB file back" cmp "$work/davfs-big.bin" "$work/davfs-mnt2/davfs/big.bin"
    check "davfs2: unmount the fresh mount" umount "$work/davfs-mnt2"
  else
    bad "mount.davfs mounts /dav/ again"
  fi
  check "davfs2: clean up on the server" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -u '$USER_LOGIN:$USER_PASSWORD' -X DELETE '$B/dav/davfs/')\" = 204 ]"
fi

# --- lftp and curl: what issue 16 fixed (test/e2e/dav-clients.e2e-spec.ts has the HTTP details) --
# lftp's rm sends `Depth: 0` on DELETE and its mv puts `user:password@` into the Destination; curl
# with `Expect: 100-continue` must see no 100 before a 401, and one before the 201 with
# credentials; Windows probes `OPTIONS /` without credentials. Needs lftp (.ci/run installs it).
if command -v lftp >/dev/null; then
  mkdir -p "$work/lftp-home"
  printf 'lftp says hello\n' >"$work/lftp-up.txt"
  # One session, as a user types it; cmd:fail-exit ends it (non-zero) at the first failed command.
  # `cd lftp` works because GET/HEAD of a collection without its trailing slash is a 301 to it.
  (cd "$work" && HOME="$work/lftp-home" timeout 120 lftp -c "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 30; \
    open -u $USER_LOGIN,$USER_PASSWORD $B/dav/; mkdir lftp; cd lftp; put lftp-up.txt; mv lftp-up.txt moved.txt; \
    echo ==ls-after-mv; ls; get moved.txt -o lftp-down.txt; rm moved.txt; echo ==ls-after-rm; ls; echo ==end; cd ..; rmdir lftp" \
    >"$work/lftp.log" 2>&1)
  lftp_rc=$?
  after_mv=$(sed -n '/^==ls-after-mv$/,/^==ls-after-rm$/p' "$work/lftp.log")
  after_rm=$(sed -n '/^==ls-after-rm$/,/^==end$/p' "$work/lftp.log" | grep -v '^==' | grep -v ' \.\.$')
  if [ "$lftp_rc" = 0 ]; then ok "lftp: mkdir, put, mv, ls, get, rm, rmdir on /dav/"; else bad "lftp: mkdir, put, mv, ls, get, rm, rmdir on /dav/ (exit $lftp_rc)"; sed 's/^/    /' "$work/lftp.log"; fi
  if grep -q ' moved\.txt$' <<<"$after_mv" && ! grep -q 'lftp-up\.txt' <<<"$after_mv"; then ok "lftp: ls after mv shows moved.txt only"; else bad "lftp: ls after mv shows moved.txt only"; sed 's/^/    /' "$work/lftp.log"; fi
  if grep -qx '==end' "$work/lftp.log" && [ -z "$after_rm" ]; then ok "lftp: ls after rm is empty"; else bad "lftp: ls after rm is empty"; sed 's/^/    /' "$work/lftp.log"; fi
  if cmp -s "$work/lftp-up.txt" "$work/lftp-down.txt"; then ok "lftp: get returns what put stored"; else bad "lftp: get returns what put stored"; fi
  check "lftp: the folder is gone on the server" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -u '$USER_LOGIN:$USER_PASSWORD' '$B/dav/lftp/')\" = 404 ]"
  if grep -qF "$USER_PASSWORD" "$work/server.log"; then bad "the server logged the password lftp sent in the Destination"; else ok "the server log holds no password"; fi
else
  bad "lftp is not installed"
fi
head -c 3000000 /dev/urandom >"$work/expect.bin"
# The status lines curl saw (`< HTTP/1.1 100 Continue` included), as "100 201 ".
statuses() { grep -E '^< HTTP/' | tr -d '\r' | cut -d' ' -f3 | tr '\n' ' '; }
export -f statuses
check "curl Expect: 100-continue without credentials: 401, no 100 before it" bash -c \
  "[ \"\$(curl -sv -T '$work/expect.bin' -H 'Expect: 100-continue' '$B/dav/expect.bin' 2>&1 | statuses)\" = '401 ' ]"
check "curl Expect: 100-continue with credentials: 100, then 201 (or 204)" bash -c \
  "curl -sv -u '$USER_LOGIN:$USER_PASSWORD' -T '$work/expect.bin' -H 'Expect: 100-continue' '$B/dav/expect.bin' 2>&1 | statuses | grep -qxE '100 20[14] '"
check "curl: the upload after 100 Continue arrived whole" bash -c "cmp <(curl -s -u '$USER_LOGIN:$USER_PASSWORD' '$B/dav/expect.bin') '$work/expect.bin'"
check "curl: OPTIONS / without credentials answers DAV: 1, 2 (Windows' root probe)" bash -c \
  "curl -s -i -X OPTIONS '$B/' | tr -d '\r' | grep -qix 'dav: 1, 2'"

if grep -q '"level":50' "$work/server.log"; then bad "the server logged errors"; grep '"level":50' "$work/server.log" | head -n 5; fi

echo "clients: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# After `npm run build`: the operator CLI as operators run it — `npx portcullis` from the
# repository (npm exec runs the root package's own bin, dist/src/cli/main.js) — on a fresh SQLite
# database: each command must exit with its documented code, and exit at all (a process kept alive
# by an open handle fails here, at the 120 s guard, instead of hanging a script).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export DATA_DIR="$dir" DATABASE_URL="sqlite:$dir/portcullis.sqlite" SECRET_KEY="$(openssl rand -base64 32)" LOG_LEVEL=warn
unset REDIS_URL

# expect CODE COMMAND…: runs it (standard input passed on), output in $dir/out and $dir/err.
expect() {
  local want=$1 got=0
  shift
  timeout 120 "$@" >"$dir/out" 2>"$dir/err" || got=$?
  if [ "$got" != "$want" ]; then
    echo "cli smoke: \`$*\` exited $got, expected $want"
    cat "$dir/out" "$dir/err"
    exit 1
  fi
}
json() { node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); const v = eval(process.argv[1]); if (!v) { console.error("unexpected:", JSON.stringify(d)); process.exit(1); }' "$1" <"$dir/out"; }

expect 0 npx portcullis --help
grep -q 'Exit codes' "$dir/out"
expect 0 npx portcullis accounts import --help
expect 2 npx portcullis frobnicate
expect 2 npx portcullis accounts list --limit 0
expect 3 npx portcullis accounts list            # the schema is not there yet
grep -q 'portcullis migrate' "$dir/err"
expect 0 npx portcullis migrate --json
json 'd.applied.length > 0'
expect 0 npx portcullis check-config --json
json 'd.ok === true'
expect 0 npx portcullis accounts create smoke --email smoke@example.com --password-stdin --json < <(printf 'smoke-password-1\n')
json 'd.login === "smoke" && d.status === "active"'
expect 1 npx portcullis accounts create smoke --email smoke@example.com
printf 'login,email,registeredAt,password\nlegacy1,legacy1@example.com,2019-01-01T00:00:00Z,legacy1-password\n' >"$dir/legacy.csv"
expect 0 npx portcullis accounts import "$dir/legacy.csv" --json
json 'd.importedCount === 1 && d.accounts[0].appConnection === "legacy"'
expect 0 npx portcullis accounts suspend smoke
expect 0 npx portcullis accounts list --status suspended --json
json 'd.total === 1 && d.items[0].login === "smoke"'
expect 0 npx portcullis audit export --format csv
grep -q "admin.account.suspend" "$dir/out"
expect 3 env DATABASE_URL=postgres://nobody@127.0.0.1:1/none npx portcullis accounts list
echo "cli smoke: ok"

#!/usr/bin/env bash
# CI: on a Node.js older than package.json's engines.node (the machines' own Node 20), a fresh
# clone's `npm ci` and `npm start`, and the built entry, stop at once with the required version
# instead of installing with warnings and then crashing (better-sqlite3 13: Segmentation fault).
#
#   bash scripts/check-old-node.sh [DIST]    DIST: a built dist/ (`npm run build`), default ./dist
#
# The old Node is $OLD_NODE, else the first Node older than 22 among /usr/bin/node,
# /usr/bin/nodejs, /usr/local/bin/node and every `node` on PATH; none is an error. Everything runs
# in a scratch folder holding only copies of the project's files: no node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
fail() { echo "check-old-node: $*" >&2; exit 1; }
[ -f "$dist/src/main.js" ] || fail "$dist/src/main.js is missing: run \`npm run build\` first, or pass a built dist/"

old=
for candidate in ${OLD_NODE:-} /usr/bin/node /usr/bin/nodejs /usr/local/bin/node $(type -ap node); do
  [ -x "$candidate" ] || continue
  major=$("$candidate" -p 'process.versions.node.split(".")[0]' 2>/dev/null) || continue
  if [ "$major" -lt 22 ]; then old=$candidate; break; fi
done
[ -n "$old" ] || fail "no Node.js older than 22 found (install Debian's nodejs package, or set OLD_NODE=/path/to/node)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# `node` is the old one for npm (#!/usr/bin/env node) and for the scripts npm runs.
mkdir "$work/bin"
ln -s "$old" "$work/bin/node"
export PATH="$work/bin:$PATH"
unset npm_config_nodedir
required=$(node -p 'require("./package.json").engines.node')
echo "old Node: $old $(node --version), npm $(npm --version); package.json engines.node: $required"

clone() {
  mkdir "$work/$1"
  cp package.json package-lock.json .npmrc .nvmrc .node-version "$work/$1/"
  mkdir "$work/$1/scripts"
  cp scripts/check-node.mjs "$work/$1/scripts/"
}
# Runs "$@" in folder $1 (output in $work/$1.out, $work/$1.err); fails unless it exits non-zero.
must_fail() {
  local dir=$1 status=0
  shift
  (cd "$work/$dir" && "$@") >"$work/$dir.out" 2>"$work/$dir.err" || status=$?
  cat "$work/$dir.out" "$work/$dir.err"
  [ "$status" -ne 0 ] || fail "\`$*\` succeeded on $(node --version)"
}

# The line the service prints (scripts/check-node.mjs, src/node-version.ts).
line=$(node scripts/check-node.mjs 2>&1 || true)
case $line in
  *"Node.js ${required#>=} or later"*"Node.js 24"*) ;;
  *) fail "unexpected version message: $line" ;;
esac

echo "== npm ci (engine-strict in .npmrc)"
clone ci
must_fail ci npm ci --no-audit --no-fund
grep -q 'EBADENGINE' "$work/ci.err" || fail "npm ci: no EBADENGINE error"
grep -qF "Required: {\"node\":\"$required\"}" "$work/ci.err" || fail "npm ci: the required version is not named"
[ ! -e "$work/ci/node_modules" ] || fail "npm ci installed node_modules"

echo "== npm start (scripts/check-node.mjs before the build)"
clone start
must_fail start npm start
[ "$(grep -cxF "$line" "$work/start.err")" -eq 1 ] || fail "npm start: the version line is not printed once"
[ ! -e "$work/start/dist" ] || fail "npm start built dist/ before checking the version"

echo "== node $dist/src/main.js (the image's and npm start's entry, no node_modules)"
mkdir "$work/built"
cp package.json "$work/built/"
cp -r "$dist" "$work/built/dist"
must_fail built node dist/src/main.js
[ "$(cat "$work/built.err")" = "$line" ] || fail "the entry's output is not exactly the version line"
[ ! -s "$work/built.out" ] || fail "the entry wrote to stdout"

echo "== node $dist/src/cli/main.js (the portcullis CLI's bin)"
must_fail built node dist/src/cli/main.js --help
[ "$(cat "$work/built.err")" = "$line" ] || fail "the CLI's output is not exactly the version line"

echo "check-old-node: ok"

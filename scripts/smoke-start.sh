#!/usr/bin/env bash
# Starts the built service as `npm start` does, on a fresh data folder, and checks that it
# applies migrations, prints its URLs and the operator login, and answers /ready.
set -euo pipefail
dir=$(mktemp -d)
port=$(( 20000 + RANDOM % 20000 ))
DATA_DIR="$dir" PORT="$port" LOG_LEVEL=warn node dist/src/main.js >"$dir/out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  grep -q "Operator password" "$dir/out.log" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { cat "$dir/out.log"; exit 1; }
  sleep 0.1
done
cat "$dir/out.log" | sed 's/\(Operator password[^:]*: \).*/\1[printed once]/'
curl -fsS "http://127.0.0.1:$port/ready"; echo
curl -fsS -o /dev/null "http://127.0.0.1:$port/docs"
test "$(stat -c %a "$dir/secret.key")" = 600
echo "smoke start: ok"

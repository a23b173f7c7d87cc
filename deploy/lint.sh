#!/usr/bin/env bash
# Lints deploy/ with tools from Debian and npm, installed outside the project (no new project
# dependencies): yamllint (Debian) for every YAML file, dclint (npm) for compose.yaml, the
# Kubernetes API schemas of kubernetes-models (npm) for k8s/*.yaml, dockerfile-utils (npm) for the
# Dockerfile, caddy (Debian) for the Caddyfile. hadolint and kubeconform are in neither registry.
set -euo pipefail
cd "$(dirname "$0")"
command -v yamllint >/dev/null || { apt-get update -qq && apt-get install -y -qq yamllint >/dev/null; }
tools=${LINT_TOOLS_DIR:-$(mktemp -d)}
[ -x "$tools/node_modules/.bin/dclint" ] || (cd "$tools" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent dclint kubernetes-models dockerfile-utils yaml >/dev/null)

echo "== yamllint"; yamllint -c .yamllint .
echo "== dclint compose.yaml"; "$tools/node_modules/.bin/dclint" compose.yaml
echo "== dockerfile-utils Dockerfile"; "$tools/node_modules/.bin/dockerfile-utils" lint Dockerfile
echo "== caddy validate Caddyfile (Debian's caddy)"
command -v caddy >/dev/null || { apt-get update -qq && apt-get install -y -qq caddy >/dev/null; }
caddy validate --config Caddyfile --adapter caddyfile 2>&1 | tail -1
echo "== Kubernetes schemas (kubernetes-models)"
TOOLS="$tools" node --input-type=module -e '
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
const root = `${process.env.TOOLS}/node_modules`;
const { parseAllDocuments } = createRequire(`${root}/`)("yaml");
let failed = 0;
for (const file of readdirSync("k8s").filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")) {
  for (const doc of parseAllDocuments(readFileSync(`k8s/${file}`, "utf8"))) {
    const obj = doc.toJS();
    // apps/v1 Deployment -> kubernetes-models/apps/v1/Deployment.js; core v1 -> kubernetes-models/v1/Service.js
    const model = `${root}/kubernetes-models/${obj.apiVersion}/${obj.kind}.js`;
    if (!existsSync(model)) { console.log(`${file}: no schema for ${obj.apiVersion} ${obj.kind}`); failed++; continue; }
    const { [obj.kind]: Model } = await import(pathToFileURL(model).href);
    try { new Model(obj).validate(); console.log(`${file}: ${obj.apiVersion} ${obj.kind} valid`); }
    catch (err) { console.log(`${file}: ${obj.kind}: ${err.message}`); failed++; }
  }
}
process.exit(failed ? 1 : 0);
'

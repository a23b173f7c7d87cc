// The V8 options the service runs with (package.json `start`, deploy/Dockerfile): benchmarks
// start it the same way. None today; SERVICE_NODE_FLAGS tries others (space-separated). A
// smaller young generation (--max-semi-space-size=2) bounded a large upload's memory too, but
// cost heavier API routes ~20 % of their throughput; uploads collect their own garbage instead
// (src/common/young-gc.ts).
export const SERVICE_NODE_FLAGS = (process.env.SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);

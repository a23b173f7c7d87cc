// `node --import ./bench/no-fsync.mjs …`: fsync and fdatasync become no-ops in this process, so
// bench:dav can show what the service's durable writes cost. The service has no switch for its
// fsyncs (an upload is acknowledged only once file and directory are synced); this preload exists
// for the benchmark alone. SQLite (a native library) keeps its own syncs.
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const handle = await open(process.execPath, 'r');
const FileHandle = Object.getPrototypeOf(handle);
await handle.close();
FileHandle.sync = async function sync() {};
FileHandle.datasync = async function datasync() {};
for (const name of ['fsync', 'fdatasync']) fs[name] = (_fd, callback) => process.nextTick(callback, null);
for (const name of ['fsyncSync', 'fdatasyncSync']) fs[name] = () => undefined;
syncBuiltinESMExports();

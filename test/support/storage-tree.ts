import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A storage area as it is on disk: every folder (`/a/`) and file (`/a/b.txt` → SHA-256 of its
 * bytes), by user path. Two snapshots are equal when nothing was created, changed or removed.
 */
export async function snapshotTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const path = `${prefix}/${e.name}`;
      if (e.isDirectory()) {
        out.set(`${path}/`, 'dir');
        await walk(join(dir, e.name), path);
      } else if (e.isFile()) {
        out.set(path, createHash('sha256').update(await readFile(join(dir, e.name))).digest('hex'));
      }
    }
  };
  await walk(root, '');
  return out;
}

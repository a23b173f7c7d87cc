import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DataSource } from 'typeorm';
import type { TestApp } from '../../support/test-app.js';

/**
 * Everything a hostile request must not change, in a form two snapshots can be compared in:
 * the whole storage tree (every entry, its type, size and content hash; upload temp files
 * included, so a leftover shows) and every table's rows, except the ones that record that
 * requests happened (audit, statistics, key use, OTP replay records) and the last-used columns.
 */
export interface StateSnapshot {
  files: string[];
  tables: Record<string, string[]>;
}

/** Tables that count or record requests: they change with every request, hostile or not. */
const ACTIVITY_TABLES = new Set(['audit_events', 'traffic_hours', 'auth_hours', 'app_hours', 'api_key_uses', 'otp_used']);
// `uses`: a signed link's use count (signed_links), which a successful use moves on.
const ACTIVITY_COLUMNS = /^(last_used_(at|ip)|uses)$/;

export async function snapshotState(t: TestApp, storageDir: string): Promise<StateSnapshot> {
  return { files: await fileTree(storageDir), tables: await tables(t.app.get(DataSource)) };
}

async function fileTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const p = join(dir, name);
      const s = await lstat(p);
      const rel = relative(root, p);
      if (s.isDirectory()) {
        out.push(`d ${rel}`);
        await walk(p);
      } else if (s.isFile()) {
        out.push(`f ${rel} ${s.size} ${createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 16)}`);
      } else {
        out.push(`? ${rel}`);
      }
    }
  };
  await walk(root);
  return out;
}

async function tables(ds: DataSource): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const names = [...new Set(ds.entityMetadatas.map((m) => m.tableName))].filter((n) => !ACTIVITY_TABLES.has(n)).sort();
  for (const name of names) {
    const rows: Array<Record<string, unknown>> = await ds.query(`SELECT * FROM "${name}"`);
    out[name] = rows
      .map((row) =>
        JSON.stringify(
          Object.keys(row)
            .filter((k) => !ACTIVITY_COLUMNS.test(k))
            .sort()
            .map((k) => [k, row[k] instanceof Date ? (row[k] as Date).toISOString() : row[k]]),
        ),
      )
      .sort();
  }
  return out;
}

/** Row counts per table, for the report. */
export function counts(s: StateSnapshot): Record<string, number> {
  return Object.fromEntries(Object.entries(s.tables).map(([k, v]) => [k, v.length]));
}

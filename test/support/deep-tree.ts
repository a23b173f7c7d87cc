import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A name of `bytes` ASCII bytes (at most 255, NAME_MAX). */
export const segmentOf = (bytes: number, char = 'd') => char.repeat(bytes);

/**
 * Makes, directly on disk, the folder `<parent>/<top>/<segments[0]>/<segments[1]>/…` (and the
 * file `leaf` with `content` in the deepest one, if given), however deep: deeper than PATH_MAX
 * too, which no single mkdir could reach. It is built the way the attack builds it: short
 * chains of folders are made side by side in `parent`, then moved into each other, last into
 * next-to-last first, so every call names paths far below PATH_MAX (process.chdir is not
 * available in test workers, and Node has no mkdirat). Returns the user path of the deepest
 * folder below `parent` ('/top/seg/…').
 */
export function makeDeepTree(parent: string, top: string, segments: readonly string[], leaf?: { name: string; content: string }): string {
  const PER_CHAIN = 1024; // bytes of folder names per chain: each rename stays near 2 KiB
  const chains: string[][] = [[]];
  let bytes = 0;
  for (const seg of segments) {
    if (bytes > PER_CHAIN && chains.at(-1)!.length > 0) {
      chains.push([]);
      bytes = 0;
    }
    chains.at(-1)!.push(seg);
    bytes += Buffer.byteLength(seg) + 1;
  }
  // Chain i stands in `parent` under a temporary name; its first segment is the folder moved.
  const temp = (i: number) => path.join(parent, `.deep-build-${top}-${i}`);
  chains.forEach((chain, i) => {
    if (chain.length === 0) return;
    mkdirSync(path.join(temp(i), ...chain.slice(1)), { recursive: true });
  });
  if (leaf) writeFileSync(path.join(temp(chains.length - 1), ...chains.at(-1)!.slice(1), leaf.name), leaf.content);
  for (let i = chains.length - 1; i > 0; i--) {
    if (chains[i]!.length === 0) continue;
    // Chain i into the deepest folder of chain i-1 (which is still shallow, in `parent`).
    renameSync(temp(i), path.join(temp(i - 1), ...chains[i - 1]!.slice(1), chains[i]![0]!));
  }
  mkdirSync(path.join(parent, top), { recursive: true });
  if (segments.length > 0) renameSync(temp(0), path.join(parent, top, chains[0]![0]!));
  return `/${[top, ...segments].join('/')}`;
}

/** `n` names of `bytes` bytes each: the segments of a chain about n × (bytes + 1) bytes deep. */
export function segments(n: number, bytes = 200, char = 'd'): string[] {
  return Array.from({ length: n }, () => segmentOf(bytes, char));
}

/**
 * Removes whatever `makeDeepTree` made under `parent`, however deep, without the service: the
 * test's own clean-up (fs.rmSync removes relative to open folders; fs.rm by absolute path would
 * fail past PATH_MAX and leave the test folder behind).
 */
export function removeDeep(target: string): void {
  if (existsSync(target)) rmSync(target, { recursive: true, force: true });
}

/** Names in `dir` of the reserved `.portcullis-` namespace (temp files, deletes in progress). */
export function reservedNames(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.portcullis-')) : [];
}

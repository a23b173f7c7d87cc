// ACL decisions per second with 10 and with 10,000 rules: the resolver is a trie, so a decision
// costs the depth of the path, not the number of rules.
import { fromDist } from './dist.mjs';

const { AclResolver } = await fromDist('src/acl/core/acl-resolver.js');

function rules(n) {
  const out = [{ path: '/file/', effect: 'allow' }, { path: '/file/delete', effect: 'deny' }];
  for (let i = out.length; i < n; i++) out.push({ path: `/file/delete/dir${i}/sub${i % 7}`, effect: i % 2 ? 'allow' : 'deny' });
  return out;
}

function rate(resolver, paths, ms = 1000) {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (const p of paths) resolver.decide(p);
    n += paths.length;
  }
  return n / (ms / 1000);
}

const paths = Array.from({ length: 64 }, (_, i) => `/file/delete/dir${i * 97}/sub${i % 7}/deep/file${i}.txt`);
export function aclBench() {
  const small = new AclResolver(rules(10));
  const large = new AclResolver(rules(10_000));
  rate(small, paths, 300);
  rate(large, paths, 300);
  return { small: rate(small, paths), large: rate(large, paths) };
}

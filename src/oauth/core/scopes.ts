/**
 * The OAuth scopes of the API (contract §4.4) and what each lets an application do, in the words
 * the consent page shows. What each scope covers in ACL paths is acl/scope-rules.ts; a token's
 * rights are always its scopes intersected with the ACL of whoever granted it.
 */
export const API_SCOPES = ['file:read', 'file:write', 'file:delete', 'stat:read', 'sublogin', 'dav'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'file:read': 'See your files and folders, and download them',
  'file:write': 'Upload files, create folders, and move or copy files and folders',
  'file:delete': 'Delete your files and folders',
  'stat:read': 'Read your traffic, storage and sign-in statistics',
  sublogin: 'Create, change and delete your sublogins and their access rules',
  dav: 'Connect to your storage as a network drive (WebDAV at /v2/dav/): read, change and delete files there',
  openid: 'Learn your account identifier',
  offline_access: 'Keep this access while you are away, until you revoke it',
};

/** A scope in plain words; an unknown scope is shown as itself (it grants nothing here). */
export function describeScope(scope: string): string {
  return Object.hasOwn(DESCRIPTIONS, scope) ? DESCRIPTIONS[scope]! : scope;
}

/** Space-separated scope string → distinct scopes, in the order of API_SCOPES first. */
export function splitScopes(scope: string | undefined | null): string[] {
  const set = new Set((scope ?? '').split(' ').filter(Boolean));
  const known = API_SCOPES.filter((s) => set.has(s));
  return [...known, ...[...set].filter((s) => !(API_SCOPES as readonly string[]).includes(s)).sort()];
}

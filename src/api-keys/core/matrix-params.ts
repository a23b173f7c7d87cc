/**
 * Matrix parameters (`;name=value` inside a path segment, RFC 3986 §3.3) on a request target.
 *
 * Clients may send the API key as `/api;api_key=KEY/file/list` or `/api/file/list;api_key=KEY`
 * (contract §4.3). Everything from the first `;` of a segment to the end of that segment is a matrix
 * part, exactly as the ACL canonicaliser reads it (acl/core/acl-path.ts), so routing and the ACL
 * see the same path. An encoded `%3B` is data, not a separator.
 */
export interface MatrixParam {
  /** Percent-decoded name. */
  name: string;
  /** Percent-decoded value; `''` for a bare `;name`. Left as sent when it does not decode. */
  value: string;
}

export interface StrippedTarget {
  /** The target without matrix parameters; the query string is untouched. */
  url: string;
  params: MatrixParam[];
}

export function stripMatrixParams(target: string): StrippedTarget {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (!path.includes(';')) return { url: target, params: [] };
  const params: MatrixParam[] = [];
  const segments = path.split('/').map((segment) => {
    const semi = segment.indexOf(';');
    if (semi === -1) return segment;
    for (const piece of segment.slice(semi + 1).split(';')) {
      if (piece === '') continue;
      const eq = piece.indexOf('=');
      params.push(eq === -1 ? { name: decode(piece), value: '' } : { name: decode(piece.slice(0, eq)), value: decode(piece.slice(eq + 1)) });
    }
    return segment.slice(0, semi);
  });
  return { url: segments.join('/') + (q === -1 ? '' : target.slice(q)), params };
}

/** The values of every matrix parameter called `name`, in the order sent. */
export function matrixValues(params: readonly MatrixParam[], name: string): string[] {
  const values: string[] = [];
  for (const p of params) if (p.name === name) values.push(p.value);
  return values;
}

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a bad escape stays visible, so a key spelled that way fails the format check
  }
}

/**
 * Text forms of dates, remembered: listings, PROPFIND answers and downloads write the same files'
 * modification times again and again, and formatting a Date costs more than the rest of a
 * listing entry. Pure functions' results, so a hit is always right; each keeps at most
 * KEPT_PER_FORM of them (~1 MiB), dropped all at once when full. An invalid date throws, as the
 * Date methods do, and is not kept.
 */
const KEPT_PER_FORM = 10_000;

function remembered(format: (date: Date) => string): (date: Date) => string {
  const byTime = new Map<number, string>();
  return (date) => {
    const time = date.getTime();
    let text = byTime.get(time);
    if (text === undefined) {
      text = format(date);
      if (byTime.size >= KEPT_PER_FORM) byTime.clear();
      byTime.set(time, text);
    }
    return text;
  };
}

/** ISO 8601 with milliseconds, `2025-12-05T06:25:50.182Z` (the file API's times). */
export const isoDate = remembered((date) => date.toISOString());

/** ISO 8601 without fractional seconds, `2025-12-05T06:25:50Z` (WebDAV's creationdate). */
export const isoDateSeconds = remembered((date) => date.toISOString().replace(/\.\d+Z$/, 'Z'));

/** RFC 1123, `Fri, 05 Dec 2025 06:25:50 GMT` (HTTP's Last-Modified, WebDAV's getlastmodified). */
export const httpDate = remembered((date) => date.toUTCString());

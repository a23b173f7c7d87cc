/**
 * Counts keyed by a fixed number of label values, in nested Maps: counting a request that was
 * seen before is a few Map look-ups and one addition, with no string built and nothing
 * allocated. prom-client's own `inc(labels)` hashes the label object on every call; here that
 * work moves to scrape time (`rows()`), which runs a few times a minute.
 */
export class LabelCounts {
  private readonly root = new Map<string, unknown>();

  constructor(readonly labelNames: readonly string[]) {
    if (labelNames.length === 0) throw new RangeError('at least one label');
  }

  /** Adds `n` to the count of these label values (one value per label name, in order). */
  add(values: readonly string[], n = 1): void {
    let level = this.root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (!next) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    level.set(values[last]!, ((level.get(values[last]!) as number | undefined) ?? 0) + n);
  }

  /** Every label combination with its count, as prom-client label objects. */
  rows(): { labels: Record<string, string>; value: number }[] {
    const out: { labels: Record<string, string>; value: number }[] = [];
    const walk = (level: Map<string, unknown>, depth: number, values: string[]): void => {
      for (const [value, next] of level) {
        if (depth === this.labelNames.length - 1) {
          const labels: Record<string, string> = {};
          [...values, value].forEach((v, i) => (labels[this.labelNames[i]!] = v));
          out.push({ labels, value: next as number });
        } else walk(next as Map<string, unknown>, depth + 1, [...values, value]);
      }
    };
    walk(this.root, 0, []);
    return out;
  }
}

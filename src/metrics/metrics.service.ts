import { Injectable, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { VerificationCache } from '../auth/verification-cache.js';
import { StatsService } from '../stats/stats.service.js';
import { LabelCounts } from './core/label-counts.js';

/** Status codes as label strings, made once: `String(status)` per request would allocate. */
const STATUS_LABELS: readonly string[] = Array.from({ length: 600 }, (_, i) => String(i));
const UNMATCHED_ROUTE = 'unmatched';

/**
 * Prometheus metrics (`GET /metrics`). On the request path only plain counters in memory are
 * touched (LabelCounts: Map look-ups and an addition, no allocation once a label combination was
 * seen); prom-client turns them into its text format when scraped. Each app has its own
 * Registry, so two instances in one process (as in the tests) do not share counts.
 *
 * Sources: the StatsService observer (requests by route and status and throttled answers, bytes
 * in and out per traffic area, all from the accounting hook's sample; authentication outcomes as
 * the access pipeline counts them), and the verification cache's
 * own hit and miss counters, read at scrape time.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly requests = new LabelCounts(['method', 'route', 'status']);
  private readonly throttled = new LabelCounts(['route']);
  private readonly authOutcomes = new LabelCounts(['method', 'code']);
  private readonly bytes = new LabelCounts(['area', 'direction']);
  private otpReplays = 0;

  constructor(
    private readonly stats: StatsService,
    private readonly verificationCache: VerificationCache,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const fromCounts = (name: string, help: string, counts: LabelCounts): void => {
      new Counter({
        name,
        help,
        labelNames: counts.labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const row of counts.rows()) this.inc(row.labels, row.value);
        },
      });
    };
    fromCounts('portcullis_http_requests_total', 'HTTP requests answered, by method, route pattern and status', this.requests);
    fromCounts('portcullis_throttled_total', 'Requests refused with 429 by the brute-force throttle, by route pattern', this.throttled);
    fromCounts('portcullis_auth_outcomes_total', 'Authentication attempts on guarded routes, by method and outcome code (success or the error code)', this.authOutcomes);
    fromCounts('portcullis_traffic_bytes_total', 'Bytes received (in) and sent (out), by traffic area (file, stat, sublogin, dav, backup, other)', this.bytes);

    const self = this;
    new Counter({
      name: 'portcullis_otp_replays_total',
      help: 'One-time passwords refused because they were used before',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(self.otpReplays);
      },
    });
    const cache = this.verificationCache;
    new Counter({
      name: 'portcullis_verification_cache_hits_total',
      help: 'Basic credentials answered from the verification cache (no argon2id)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(cache.hits);
      },
    });
    new Counter({
      name: 'portcullis_verification_cache_misses_total',
      help: 'Basic credentials the verification cache did not hold',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(cache.misses);
      },
    });
    new Gauge({
      name: 'portcullis_verification_cache_hit_ratio',
      help: 'Hits / (hits + misses) of the verification cache since start (0 before any look-up)',
      registers: [this.registry],
      collect() {
        const total = cache.hits + cache.misses;
        this.set(total === 0 ? 0 : cache.hits / total);
      },
    });
  }

  onModuleInit(): void {
    this.stats.observe({
      request: (s) => {
        // Requests by route and status, counted with the accounting's sample when the answer was
        // sent in full (what an onResponse hook saw), instead of a hook of their own (issue 18).
        if (s.answered) {
          const route = s.route ?? UNMATCHED_ROUTE;
          this.requests.add([s.method, route, STATUS_LABELS[s.status] ?? String(s.status)]);
          if (s.status === 429) this.throttled.add([route]);
        }
        if (s.bytesIn > 0) this.bytes.add([s.area, 'in'], s.bytesIn);
        if (s.bytesOut > 0) this.bytes.add([s.area, 'out'], s.bytesOut);
      },
      auth: (method, outcome) => {
        this.authOutcomes.add([method, outcome]);
        if (outcome === 'otp_replayed') this.otpReplays++;
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

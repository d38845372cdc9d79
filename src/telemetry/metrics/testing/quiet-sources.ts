import type { MetricSources } from "../metric-sources.ts";

/**
 * The gauges' sources of a gateway with nothing going on (no request in flight, no breaker, no
 * worker, an empty audit queue, no tenant), for tests that count requests; `overrides` sets the
 * ones a test looks at.
 */
export const quietSources = (overrides: Partial<MetricSources> = {}): MetricSources => ({
  inFlight: () => 0,
  eventStreams: () => 0,
  breakers: () => [],
  workers: () => [],
  audit: () => ({ queued: 0, queuedBytes: 0, written: 0, rejected: 0, dropped: 0, bodiesDropped: 0 }),
  tenants: () => [],
  eventListenerErrors: () => 0,
  ...overrides,
});

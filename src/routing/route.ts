import type { AttemptTimeouts, Provider } from "../providers/provider.ts";

/** One way to serve a client-facing model: a provider and the model name it knows. */
export interface Route {
  readonly provider: Provider;
  readonly upstreamModel: string;
  readonly weight: number;
  readonly timeouts: AttemptTimeouts;
  /** Stable identity for health tracking: `provider/model`. */
  readonly key: string;
  /** What audit rows and logs show: `provider:<name>` or `worker:<name>`. */
  readonly label: string;
  /** The upstream model's context window in tokens, where config or the catalogue knows it. */
  readonly contextWindow?: number;
}

import type { WorkerLog } from "../worker-log.ts";
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.ts";
import { probeResponsesApi } from "./probe-responses-api.ts";

/** How often an upstream that could not say is asked again while the worker is connected. */
const ASK_AGAIN: BackoffOptions = { baseMs: 2_000, capMs: 30_000 };

/**
 * Whether the worker's upstream serves OpenAI's Responses API (docs/worker-protocol.md, "What the
 * upstream serves"): given by a flag, else asked of the upstream (probeResponsesApi) and kept once
 * it answered. An upstream that could not say (a model server still loading its weights, down, or
 * refusing the key) is asked again at every connect and, while connected, on a backoff: a worker
 * started beside a vLLM that takes minutes to load would otherwise never announce the endpoint.
 */
export class ResponsesApiVerdict {
  private known: boolean | undefined;
  /** Why the last ask could not tell (`it answered 503`, `connection refused (ECONNREFUSED)`). */
  private unknownWhy: string | undefined;

  constructor(
    private readonly upstream: string,
    private readonly apiKey: string | undefined,
    private readonly log: WorkerLog,
    given: boolean | undefined,
    private readonly backoff: BackoffOptions = ASK_AGAIN,
  ) {
    this.known = given;
  }

  /** Why the last ask could not tell, for the worker's line; undefined once known. */
  get why(): string | undefined {
    return this.known === undefined ? this.unknownWhy : undefined;
  }

  /** The verdict: undefined while the upstream has not said. */
  get served(): boolean | undefined {
    return this.known;
  }

  /** Asks the upstream when the verdict is not known yet; true once it is. */
  async ask(signal: AbortSignal): Promise<boolean> {
    if (this.known !== undefined) return true;
    const probe = await probeResponsesApi(this.upstream, this.apiKey, signal, (why) => {
      this.unknownWhy = why;
    });
    if (probe === "unknown" || signal.aborted) return false;
    this.known = probe === "served";
    this.log("info", `the upstream ${this.known ? "serves" : "does not serve"} the Responses API`, {
      responses_api: this.known,
    });
    return true;
  }

  /**
   * Asks again, on a backoff, until the upstream says or `signal` (the connection's end) aborts.
   * True when it said it serves the endpoint: the connection registered without it, so the worker
   * registers again to announce it.
   */
  async askUntilKnown(signal: AbortSignal): Promise<boolean> {
    for (let attempt = 0; this.known === undefined && !signal.aborted; attempt++) {
      await sleep(backoffDelay(attempt, this.backoff), signal);
      if (!signal.aborted) await this.ask(signal);
    }
    return this.known === true && !signal.aborted;
  }
}

import type { Tracer } from "@opentelemetry/api";
import { holdCredentials } from "../../core/credentials.ts";
import { monotonicClock } from "../../core/steady-clock.ts";
import { urlLabel } from "../../core/url-label.ts";
import { withoutSecrets } from "../../core/without-secrets.ts";
import { loadTraceState } from "../../telemetry/tracing/trace-context.ts";
import { CloseCode, RESPONSES_API } from "../protocol.ts";
import type { WorkerLog } from "../worker-log.ts";
import { announceWhenServed } from "./announce-when-served.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, sleep } from "./backoff.ts";
import { toConnectUrl } from "./connect-url.ts";
import { listingFailed } from "./discover-models.ts";
import { ModelOffer, NothingToOffer } from "./model-offer.ts";
import { probeWaitMs, refusalOf, saysInWords, upgradeRefusal } from "./probe-upgrade.ts";
import { registerFrame, registerProblem, registerTooBig } from "./register-frame.ts";
import { ResponsesApiVerdict } from "./responses-api-verdict.ts";
import { WorkerSession } from "./worker-session.ts";

const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** `mindgw worker` options, already parsed from flags and environment. */
export interface RunWorkerOptions {
  /** Gateway URL: ws://, wss://, or http(s):// (converted); /workers/connect is appended. */
  connect: string;
  /** Worker-role key, sent only in the Authorization header. */
  token: string;
  /** The model server's base URL including /v1. */
  upstream: string;
  /** Key for the upstream, if it wants one (vLLM --api-key). */
  upstreamApiKey?: string;
  /** Models to offer; discovered from `{upstream}/models` when absent. */
  models?: string[];
  concurrency: number;
  name: string;
  labels: Record<string, string>;
  /**
   * Whether the upstream serves OpenAI's Responses API, announced so Responses calls pass
   * through natively. Undefined (the default, `auto`): asked of the upstream before the first
   * registration (probeResponsesApi) and kept once it answered.
   */
  responsesApi?: boolean;
  log: WorkerLog;
  /** Reported in `register`. */
  version?: string;
  /**
   * How long a drain waits for in-flight requests; also how long a gateway that reads no
   * `announce` may wait for a moment with none before the worker drains to register again
   * (announce-when-served.ts). Default 30 s.
   */
  drainTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** The monotonic clock (ms) a registered connection's time up is read on; tests move their own. */
  now?: () => number;
  /** Install SIGTERM/SIGINT handlers that drain (default true; tests use `stop`). */
  handleSignals?: boolean;
  /**
   * Where SIGTERM and SIGINT come from: the process, unless a test hands its own emitter (a signal
   * emitted on the test runner's process would reach every handler another file left there).
   */
  signals?: Pick<NodeJS.EventEmitter, "on" | "off">;
  /** Aborting it drains and stops, like SIGTERM. */
  stop?: AbortSignal;
  /** Spans for tunnelled requests (telemetry/tracing); undefined when tracing is off. */
  tracer?: Tracer;
}

/**
 * Runs a worker until it is stopped: dial out, register, serve, and on a lost connection
 * reconnect with backoff. Resolves with the process exit code: 0 after a drain, 1 when the
 * gateway refuses the registration, 2 for a bad `--connect`, a name, label, concurrency or
 * `--models` entry the gateway's schema refuses, or a token the gateway refuses (unknown,
 * revoked, expired, wrong role): reconnecting with them could never succeed.
 */
export async function runWorker(options: RunWorkerOptions): Promise<number> {
  const { log } = options;
  // A tracer continues the gateway's trace, its trace state read as the SDK reads it.
  if (options.tracer) await loadTraceState();
  // Several gateways (comma-separated, e.g. the nodes of a cluster): a lost connection is
  // re-dialled at the next one, so a worker whose node died reconnects to another.
  let urls: URL[];
  try {
    urls = options.connect.split(",").map((one) => toConnectUrl(one.trim()));
  } catch (error) {
    log("error", error instanceof Error ? error.message : "bad --connect URL");
    return 2;
  }
  const upstream = options.upstream.replace(/\/+$/, "");
  const identity = {
    name: options.name,
    version: options.version ?? "0.0.0",
    concurrency: options.concurrency,
    labels: options.labels,
  };
  // The gateway answers a register frame its schema refuses only by closing the connection.
  const problem = registerProblem(registerFrame({ ...identity, models: options.models ?? [] }));
  if (problem) {
    log("error", `the gateway would refuse this worker: ${problem}`);
    return 2;
  }
  const offer = new ModelOffer({ upstream, apiKey: options.upstreamApiKey, given: options.models }, log);
  const wake = new AbortController();
  let session: WorkerSession | undefined;
  // One upstream per worker: once it has said whether it serves /responses, that is kept across
  // reconnects; an upstream that could not say is asked again (responses-api-verdict.ts).
  const responsesApi = new ResponsesApiVerdict(upstream, options.upstreamApiKey, log, options.responsesApi);
  /**
   * The drain under way, once stopped: the requests its deadline cut, when it cut any; undefined
   * when no registered connection was there to drain (never registered, or lost before the stop).
   */
  let drained: Promise<number | undefined> | undefined;

  const drain = (): Promise<number | undefined> => {
    drained ??= (async () => {
      wake.abort();
      const current = session;
      if (!current?.isServing) {
        current?.close(CloseCode.normal, "stopped");
        return undefined;
      }
      log("info", "draining: finishing in-flight requests", { in_flight: current.inFlight });
      current.drain();
      const settled = new AbortController();
      await Promise.race([
        current.idle(),
        sleep(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS, settled.signal),
      ]);
      settled.abort();
      const cut = current.inFlight;
      if (cut > 0) log("warn", "drain deadline passed; aborting the rest", { in_flight: cut });
      // The gateway ends what is still open as stopped at the drain deadline (worker-connection.ts).
      current.close(CloseCode.normal, cut > 0 ? `drain deadline passed with ${cut} in flight` : "drained");
      return cut;
    })();
    return drained;
  };
  /** The calls a second signal cut, once one came. */
  let forced: number | undefined;
  // A second signal stops at once: in-flight requests are aborted, the close handshake not awaited.
  const onSignal = () => {
    if (!drained) return void drain();
    if (forced !== undefined || !session) return;
    forced = session.inFlight;
    session.stopNow("stopped");
  };
  const signals = options.signals ?? process;
  if (options.handleSignals ?? true) {
    signals.on("SIGTERM", onSignal);
    signals.on("SIGINT", onSignal);
  }
  options.stop?.addEventListener("abort", onSignal, { once: true });
  // Its own log lines that quote its upstream's words never write the key (core/credentials.ts);
  // forgotten once it stops, for a process that runs another.
  if (options.upstreamApiKey) holdCredentials(options, [options.upstreamApiKey]);

  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const now = options.now ?? monotonicClock;
  try {
    /** Connections in a row that did not stay registered long (the reconnect backoff's). */
    let attempt = 0;
    /**
     * Listings in a row that failed (their retry's backoff): apart from `attempt`, so that an
     * upstream slow to load never makes the next reconnect to the gateway wait longer.
     */
    let listingFailures = 0;
    let dial = 0;
    /** The models of a connection closed to register again: offered as they were, not asked of the upstream. */
    let again: string[] | undefined;
    while (!wake.signal.aborted) {
      let models: string[];
      try {
        models = again ?? (await offer.models(wake.signal));
        again = undefined;
        listingFailures = 0;
      } catch (error) {
        if (wake.signal.aborted) break;
        const inMs = backoffDelay(listingFailures++, backoff);
        if (error instanceof NothingToOffer) log("warn", `${error.message}; asking again`, { in_ms: inMs });
        else {
          const failed = listingFailed(error);
          log("warn", `${failed.message}; retrying`, {
            upstream: `${urlLabel(upstream)}/models`,
            ...(failed.detail ? { error: withoutSecrets(failed.detail) } : {}),
            in_ms: inMs,
          });
        }
        await sleep(inMs, wake.signal);
        continue;
      }
      if (!(await responsesApi.ask(wake.signal)) && !wake.signal.aborted)
        log(
          "warn",
          `could not tell whether the upstream serves the Responses API: ${responsesApi.why ?? "no answer"}; asking again`,
          { upstream: `${urlLabel(upstream)}/responses` },
        );
      if (wake.signal.aborted) break;
      // The same gateway again after a re-registration; the next one after a lost connection.
      const url = urls[dial % urls.length]!;
      session = new WorkerSession({
        url,
        token: options.token,
        upstream,
        ...(options.upstreamApiKey ? { upstreamApiKey: options.upstreamApiKey } : {}),
        ...identity,
        models,
        ...(responsesApi.served ? { apis: [RESPONSES_API] } : {}),
        log,
        ...(options.tracer ? { tracer: options.tracer } : {}),
      });
      // When the gateway registered the worker on this connection, to tell how long it then stayed up.
      let registeredAt: number | undefined;
      void session.registration.then((registered) => {
        if (registered) registeredAt = now();
      });
      const reRegistered =
        responsesApi.served === undefined
          ? announceWhenServed(session, {
              verdict: responsesApi,
              stopped: wake.signal,
              log,
              quietWithinMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
            })
          : undefined;
      const end = await session.ended;
      if (reRegistered && (await reRegistered) && end.kind === "closed" && !wake.signal.aborted) {
        attempt = 0;
        again = models;
        continue;
      }
      if (end.kind === "rejected") {
        log("error", "the gateway refused this worker", { reason: end.reason, message: end.message });
        return end.reason.startsWith("key_") ? 2 : 1;
      }
      if (wake.signal.aborted) break;
      if (end.code === CloseCode.replaced) {
        // Another worker registered under this name with the same credential (a key of the same
        // name in the same tenant, a rotated one say): it takes over, this one stops, so the two
        // never take turns replacing each other. Another credential is refused the name instead.
        log("error", "another worker registered under this name with the same credential; stopping", {
          name: options.name,
        });
        return 1;
      }
      // The gateway's close as it stops (1001, once it drained its workers) is planned, on every
      // rolling deploy: said at info. A worker's own 1001 (its register unanswered) never registered.
      const planned = end.registered && end.code === CloseCode.goingAway;
      let lost = planned
        ? "the gateway closed the connection as it went away (a stop or restart)"
        : "connection to the gateway lost";
      // A register too big for the gateway's limit is refused so at every connection, until the
      // models offered or the limit change: said as an error, and asked again.
      const tooBig = !end.registered && end.code === CloseCode.tooBig;
      if (tooBig) lost = registerTooBig(session.register);
      else if (!end.registered) {
        // A status that says the refusal alone (a 401 or 403: the token) is taken from the upgrade's
        // own answer: a probe would send the token again, for a second lookup and refusal of it.
        const refusal =
          end.status !== undefined && !saysInWords(end.status)
            ? refusalOf(end.status, url)
            : await upgradeRefusal(url, options.token, wake.signal, probeWaitMs(end));
        if (refusal?.final) {
          log("error", refusal.message);
          return 2;
        }
        if (refusal) lost = refusal.message;
        // Never connected: not a connection lost, one that could not be made, and why.
        else if (end.failure) lost = `cannot reach the gateway at ${url.href}: ${end.failure}`;
      }
      dial++;
      // The backoff starts over only after a connection that stayed up as long as its longest wait:
      // a gateway that registers the worker and closes it at once, over and over, is reconnected to
      // no faster than one that refuses it (else every 0.5 s at most, forever).
      const heldUp = registeredAt !== undefined && now() - registeredAt >= backoff.capMs;
      attempt = heldUp ? 0 : attempt + 1;
      const delay = backoffDelay(attempt, backoff);
      // The close reason says what the gateway objected to (a refused frame: 1008 and its problem).
      log(tooBig ? "error" : planned ? "info" : "warn", `${lost}; reconnecting`, {
        gateway: url.host,
        code: end.code,
        ...(end.reason ? { reason: end.reason } : {}),
        in_ms: delay,
      });
      await sleep(delay, wake.signal);
    }
    const cut = await drain();
    if (session) await session.ended;
    // The last line of a worker stopped by a signal: a supervisor's log says it went as asked, and
    // whether it drained (a worker that never registered, or whose connection was lost, had nothing to).
    const stopped = forced
      ? "stopped: a second signal cut what was still in flight"
      : cut === undefined
        ? "stopped"
        : cut > 0
          ? "stopped: its drain deadline cut what was still in flight"
          : "drained; stopped";
    const inFlight = forced || cut;
    log("info", stopped, { ...(inFlight ? { in_flight: inFlight } : {}), exit_code: 0 });
    return 0;
  } finally {
    signals.off("SIGTERM", onSignal);
    signals.off("SIGINT", onSignal);
    options.stop?.removeEventListener("abort", onSignal);
    holdCredentials(options, []);
  }
}

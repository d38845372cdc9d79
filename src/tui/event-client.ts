import { z } from "zod";
import {
  adminKeyRefused,
  adminKeyRejected,
  cannotReachGateway,
  noAdminApiAt,
  notAGatewayAt,
} from "../core/admin-api-refusal.ts";
import { gatewayWords } from "../core/gateway-words.ts";
import { mediaType } from "../core/media-type.ts";
import { networkErrorWords } from "../core/network-error-words.ts";
import { redirectRefusal } from "../core/redirect-refusal.ts";
import { ADMIN_SILENCE_MS, NO_ANSWER, SilenceBound } from "../core/silence-bound.ts";
import { decodeSse } from "../core/sse.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, sleep } from "./backoff.ts";
import { type GatewayTarget, TAIL_USER_AGENT } from "./gateway-target.ts";
import { parseTailEvent, type ReceivedEvent } from "./tail-event.ts";
import { inTenantPart } from "./tenant-part.ts";

/** What the status line shows about the event stream. */
export type ConnectionStatus =
  | { state: "connecting"; attempt: number }
  | { state: "live"; since: number }
  | { state: "reconnecting"; retryAt: number; attempt: number; reason: string }
  | { state: "error"; message: string };

/** How the client ended: stopped by its signal, or a failure retrying cannot fix. */
export type ClientOutcome = { kind: "stopped" } | { kind: "fatal"; message: string; exitCode: 1 | 2 };

export interface EventClientOptions {
  target: GatewayTarget;
  adminKey: string;
  signal: AbortSignal;
  /**
   * Each event as it comes. A promise holds the reading until it settles: a consumer that cannot
   * keep up (a pipe not read) leaves the events to the gateway's bounded buffer, which counts those
   * it drops (`events.missed`), rather than to this process's memory.
   */
  onEvent: (received: ReceivedEvent) => void | Promise<void>;
  onStatus?: (status: ConnectionStatus) => void;
  /** Called on each successful (re)connect, e.g. to refetch the workers list. */
  onConnected?: () => void;
  /** Give up (exit 1) after this many failed attempts before the first success; default: never. */
  maxInitialAttempts?: number;
  backoff?: BackoffOptions;
  /** With no byte (not even a keep-alive comment) for this long, the connection is presumed dead. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** The `x-request-id` each connection is made with: the interactive view's own (own-calls.ts), which it hides. */
  requestId?: () => string;
}

/** `unanswered`: no headers came within `ADMIN_SILENCE_MS` (a gateway that takes the connection, then says nothing). */
type Attempt = { kind: "retry"; reason: string; wasLive: boolean; unanswered?: true } | ClientOutcome;

/**
 * Follows the gateway's live event stream until `signal` aborts, reconnecting with backoff
 * when the gateway restarts or the connection drops. Only a rejected admin key (401/403,
 * exit 2), a gateway without the endpoint (404, exit 1) or, with `maxInitialAttempts`, a
 * gateway never reached (exit 1) end it early. Error messages never hold the key.
 */
export async function runEventClient(options: EventClientOptions): Promise<ClientOutcome> {
  const now = options.now ?? Date.now;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let everLive = false;
  let failures = 0;
  for (;;) {
    if (options.signal.aborted) return { kind: "stopped" };
    options.onStatus?.({ state: "connecting", attempt: failures + 1 });
    const attempt = await connectOnce(options, () => {
      everLive = true;
      failures = 0;
      options.onStatus?.({ state: "live", since: now() });
      options.onConnected?.();
    });
    if (options.signal.aborted) return { kind: "stopped" };
    if (attempt.kind !== "retry") {
      if (attempt.kind === "fatal") options.onStatus?.({ state: "error", message: attempt.message });
      return attempt;
    }
    failures = attempt.wasLive ? 1 : failures + 1;
    // Given up at the bound every admin command gives up at: not that bound times each attempt.
    if (!everLive && options.maxInitialAttempts !== undefined && attempt.unanswered) {
      const message = cannotReachGateway(options.target.label, attempt.reason);
      options.onStatus?.({ state: "error", message });
      return { kind: "fatal", message, exitCode: 1 };
    }
    if (!everLive && options.maxInitialAttempts !== undefined && failures >= options.maxInitialAttempts) {
      const message = `${cannotReachGateway(options.target.label, attempt.reason)} (${failures} attempts)`;
      options.onStatus?.({ state: "error", message });
      return { kind: "fatal", message, exitCode: 1 };
    }
    const delay = backoffDelay(failures, backoff);
    options.onStatus?.({
      state: "reconnecting",
      retryAt: now() + delay,
      attempt: failures,
      reason: attempt.reason,
    });
    await sleep(delay, options.signal);
  }
}

async function connectOnce(options: EventClientOptions, onLive: () => void): Promise<Attempt> {
  const { target, signal } = options;
  const connection = new AbortController();
  const stop = () => connection.abort();
  signal.addEventListener("abort", stop, { once: true });
  // Silence is timed on the monotonic clock: on the wall clock an NTP step forward past the bound
  // read as the gateway silent, and dropped a live stream (the events meanwhile missed).
  let lastByteAt = performance.now();
  let idle = false;
  // The consumer is behind, not the gateway silent: no byte is read meanwhile.
  let busy = false;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const watchdog = setInterval(
    () => {
      if (busy || performance.now() - lastByteAt < idleTimeoutMs) return;
      idle = true;
      connection.abort();
    },
    Math.max(10, Math.min(1000, idleTimeoutMs / 4)),
  );
  let live = false;
  // The headers within the admin commands' bound; the watchdog's, longer, is for a stream's silence.
  // A cluster node holds them until the other nodes answer its ask, up to `cluster.redis_timeout`,
  // which DEPLOYMENT.md says to keep under this bound.
  const headers = new SilenceBound(ADMIN_SILENCE_MS);
  headers.signal.addEventListener("abort", stop, { once: true });
  try {
    const response = await (options.fetch ?? fetch)(target.eventsUrl, {
      headers: {
        authorization: `Bearer ${options.adminKey}`,
        accept: "text/event-stream",
        "user-agent": TAIL_USER_AGENT,
        ...(options.requestId ? { "x-request-id": options.requestId() } : {}),
      },
      signal: connection.signal,
      // The operator is told where the URL leads instead (redirect-refusal.ts).
      redirect: "manual",
    });
    headers.end();
    const refused = redirected(response, target) ?? classifyStatus(response.status, target.label);
    if (refused !== null) {
      // The gateway's words say why: a key it knows but will not let tail (403, a user key outside
      // every tenant), or why not now (a 503 at `server.max_event_streams`).
      const why =
        response.status === 403 || refused.kind === "retry"
          ? await refusalWords(response, options.adminKey)
          : null;
      await response.body?.cancel().catch(() => {});
      if (response.status === 403)
        return { kind: "fatal", message: adminKeyRefused(target.label, why ?? undefined), exitCode: 2 };
      return why === null ? refused : withWords(refused, why);
    }
    const media = mediaType(response.headers.get("content-type"));
    if (media !== "text/event-stream" || response.body === null) {
      await response.body?.cancel().catch(() => {});
      // A 200 of another kind is no gateway's (a proxy's sign-in page): a wrong --gateway.
      const wrong = notAGatewayAt(
        target.label,
        "/admin/api/events",
        response.status,
        media,
        "an event stream",
      );
      return { kind: "fatal", message: wrong, exitCode: 2 };
    }
    live = true;
    onLive();
    lastByteAt = performance.now();
    const body = response.body;
    const chunks = (async function* () {
      for await (const chunk of body) {
        lastByteAt = performance.now();
        yield chunk;
      }
    })();
    for await (const sse of decodeSse(chunks)) {
      const received = parseTailEvent(sse.data);
      const handled =
        received === null || !inTenantPart(target.tenant, received.event)
          ? undefined
          : options.onEvent(received);
      if (handled !== undefined) {
        busy = true;
        await handled;
        busy = false;
        lastByteAt = performance.now();
      }
    }
    return { kind: "retry", reason: "connection closed", wasLive: true };
  } catch (error) {
    if (signal.aborted) return { kind: "stopped" };
    if (headers.signal.aborted && !live)
      return { kind: "retry", reason: NO_ANSWER, wasLive: false, unanswered: true };
    const reason = idle ? "no data from the gateway" : networkErrorWords(error);
    return { kind: "retry", reason, wasLive: live };
  } finally {
    headers.end();
    clearInterval(watchdog);
    signal.removeEventListener("abort", stop);
    connection.abort();
  }
}

function redirected(response: Response, target: GatewayTarget): Attempt | null {
  const message = redirectRefusal(response, target.eventsUrl, target.label);
  return message === null ? null : { kind: "fatal", message, exitCode: 2 };
}

const errorBody = z.object({ error: z.object({ message: z.string().min(1) }) });

/**
 * The message of a refusal in the gateway's error shape, one printable line, bounded, without the
 * key a proxy's page may quote; null for any other body.
 */
async function refusalWords(response: Response, adminKey: string): Promise<string | null> {
  try {
    const parsed = errorBody.safeParse(await response.json());
    return parsed.success ? gatewayWords(parsed.data.error.message, adminKey) : null;
  } catch {
    return null;
  }
}

function withWords(attempt: Attempt, why: string): Attempt {
  return attempt.kind === "retry" ? { ...attempt, reason: `${attempt.reason}: ${why}` } : attempt;
}

function classifyStatus(status: number, label: string): Attempt | null {
  if (status === 200) return null;
  if (status === 401) return { kind: "fatal", message: adminKeyRejected(label), exitCode: 2 };
  // A key the gateway knows but will not let tail: its words follow (refusalWords).
  if (status === 403) return { kind: "fatal", message: adminKeyRefused(label), exitCode: 2 };
  if (status === 404)
    return { kind: "fatal", message: noAdminApiAt(label, "/admin/api/events"), exitCode: 2 };
  return { kind: "retry", reason: `HTTP ${status}`, wasLive: false };
}

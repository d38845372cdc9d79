import type { CancelHook } from "../../core/cancel-hook.ts";
import type { JsonObject } from "../../core/dialect.ts";
import type { StreamedAnswer } from "../../providers/http/streamed-answer.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";
import type { TunnelPath } from "../protocol.ts";
import type { ServerSilence } from "./server-silence.ts";

/** One request sent through a tunnel. */
export interface TunnelRequest {
  /** Absent: POST. GET/DELETE read or remove a stored response the worker's upstream holds. */
  readonly method?: "GET" | "DELETE";
  readonly path: TunnelPath;
  readonly body: JsonObject;
  /**
   * The client's body as received (only `model` spliced), sent in its place to a worker that
   * takes it: as the bytes themselves in a binary request frame, else decoded as `bodyText`.
   */
  readonly clientBytes?: Uint8Array | undefined;
  readonly stream: boolean;
  readonly requestId: string;
  readonly signal: AbortSignal;
  /** The same abort as a hook (the attempt's): the exchange hooks in rather than listening on `signal`. */
  readonly cancel?: CancelHook | undefined;
  /** W3C trace context for the worker's span and its upstream. */
  readonly traceparent?: string | undefined;
  /** The W3C `tracestate` beside `traceparent`, sent only with it. */
  readonly tracestate?: string | undefined;
  /** The client's allow-listed dialect headers (`openai-beta`), for the worker's upstream. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The client's query string with its `?`, or "" / absent. */
  readonly query?: string | undefined;
  /** Over a cluster peer link: the worker chosen on the other node (absent: any serving the model). */
  readonly worker?: string | undefined;
  /** Over a cluster peer link: the caller's tenant, whose workers alone may take it on the other node. */
  readonly tenant?: string | undefined;
  /**
   * Its caller reads a 404's body and judges the worker by it (worker-provider.ts `notFound`): the
   * tunnel leaves that answer unjudged. Absent (a stored response read or removed), a 404 is an
   * answer of the model server, judged at its end as any other.
   */
  readonly readsNotFound?: boolean | undefined;
}

/**
 * A connected, registered worker as the registry and the workers provider see it. The
 * tunnel (worker-tunnel.ts) implements it over a WebSocket; registry tests use plain objects.
 */
export interface RegisteredWorker {
  readonly id: string;
  readonly name: string;
  /**
   * The credential that registered it, as a key rotation keeps it (worker-owner.ts): only the same
   * owner may replace it under this name.
   */
  readonly owner: string;
  /**
   * The tenant of the credential that registered it: only that tenant's callers are routed to it,
   * every caller when it is the default tenant (the platform's own workers).
   */
  readonly tenant: string;
  /**
   * What it is routed: the models it offered that its key permits. Set again by the registry
   * (`serveOnly`) when an admin changes the key's allow-list while it is connected.
   */
  models: readonly string[];
  readonly capacity: number;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Its upstream serves the Responses API: `responses` calls may pass through natively. Set again
   * by the registry (`announce`) when the worker says so after it registered.
   */
  responsesApi?: boolean;
  readonly inFlight: number;
  /** The worker's own version, when it said. */
  readonly version?: string | undefined;
  /** When it registered (epoch ms), when known. */
  readonly connectedAt?: number;
  /** When the gateway last heard from it (epoch ms, the wall clock: what operators are shown). */
  lastHeartbeatAt: number;
  /**
   * The same, on the registry's liveness clock (monotonic: an NTP step of the wall clock is no
   * silence), which the heartbeat sweep judges by; set by the registry.
   */
  heardAt?: number;
  /** Set when the worker announced a drain: it finishes what it has and takes nothing new. */
  draining: boolean;
  /** What its model server said while each call waited (the tunnel's; registry tests' workers have none). */
  readonly silence?: ServerSilence;
  /** Sends a request; resolves with the upstream's answer once its head arrived. */
  open(request: TunnelRequest): Promise<Response>;
  /** As `open`, but a non-stream answer comes whole as bytes, without a `Response` being built. */
  openWhole(request: TunnelRequest): Promise<Response | WholeAnswer>;
  /**
   * As `open`, but a successful event stream comes as a byte feed the relay reads (no
   * `Response`, `Headers` or `ReadableStream`); anything else is still a `Response`.
   */
  openFeed(request: TunnelRequest): Promise<Response | StreamedAnswer>;
  /**
   * Fails every open exchange with `reason` and closes the connection; what is open fails as the
   * worker lost, or as `how` says it was ended (`was disconnected: …`). Idempotent.
   */
  close(code: number, reason: string, how?: string): void;
}

import type { AbortSource } from "../core/abort-followers.ts";
import { type Dialect, isJsonObject, type JsonObject, type Operation } from "../core/dialect.ts";
import { FINAL_RESPONSE_EVENTS } from "../core/final-response-events.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { DEFAULT_MAX_SSE_LINE } from "../core/sse.ts";
import type { TraceparentValue } from "../core/traceparent.ts";
import type { Usage } from "../core/usage.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import type { NativeRequest, Provider, ProviderReply } from "../providers/provider.ts";
import type { AttemptTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { answeredModel } from "../translate/answered-model.ts";
import { wantsUsage } from "../translate/chat-chunk-builder.ts";
import { parseEventData } from "../translate/parse-body.ts";
import { estimatedStreamUsage } from "../translate/stream-estimate.ts";
import type { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { Attempt } from "./attempt.ts";
import { answerOf, usageOf } from "./attempt-answer.ts";
import type { Probe } from "./breaker-probe.ts";
import type { Dispatched } from "./dispatch.ts";
import type { ClientReply, NativeReplyContext } from "./native-reply.ts";
import type { Route } from "./route.ts";
import type { RouteHealth } from "./route-health.ts";
import type { RoutingPolicy } from "./routing-policy.ts";
import type { READ_ON, ReadStep } from "./stepped-reads.ts";
import type { OwedUsageObject } from "./usage-sink.ts";

/**
 * One attempt at one route as one object, where each layer of the attempt used to have an object
 * or closure of its own: it is the attempt itself (its abort, bounds and reads: an `Attempt`, of
 * which it is a kind, where it held one of its own: one object less a try), the native reply
 * read's context (its bounds, the stream events that carry usage, the exchange's close), the
 * ordering telemetry needs between the router's verdict and that close, and, once committed, the
 * `Dispatched` answer the front door reads, usage included.
 *
 * Telemetry hears the verdict (`judged`: committed or failed) before the close (`done`: the
 * upstream exchange is over). A body read whole, or a stream whose end came with its first read,
 * is done before the router has judged it: its close waits for the verdict (a span ended first
 * would drop the route that served it).
 */
export class RouteAttempt
  extends Attempt
  implements Dispatched, NativeReplyContext, ReadStep<ProviderReply, ClientReply>
{
  /** The answer, once committed. */
  reply!: ClientReply;
  /** `provider:<name>` or `worker:<name>`: who served it (set when committed). */
  route: string;
  readonly upstreamModel: string;
  /** A whole answer's usage, from its one parse. */
  found: Usage | undefined;
  /** The model a whole answer names, from that parse. */
  foundModel: string | undefined;
  private settled = false;
  private verdict = false;
  /** The verdict committed the answer: the client has it (its span is told what it used). */
  private kept = false;
  private closeWaits = false;
  private closeError: GatewayError | undefined;

  /** The body as this route's upstream gets it (set when the attempt is opened). */
  sent!: JsonObject;
  /**
   * What telemetry was told of the attempt: told once the attempt exists (set when it is opened),
   * so an attempt that could not be made is no attempt to telemetry, the audit's list included.
   */
  observed: AttemptTelemetry | undefined;
  /** The client's request as received, for a same-dialect upstream. */
  native: NativeRequest | undefined;
  /** The upstream's reply, from its arrival until the router commits to it. */
  replied: ProviderReply | undefined;
  /** The request's id, its `request-id` header's (DispatchRequest `requestId`; set when opened). */
  requestId: string | undefined;

  constructor(
    /** The caller's end, which the attempt follows (`Attempt`). */
    client: AbortSource,
    readonly health: RouteHealth,
    readonly target: Route,
    /** Its admission (`RouteHealth.admit`): a half-open breaker's probe, or `NO_PROBE`. */
    readonly probe: Probe,
    /** The upstream it goes to: the route's provider, or one of its workers. */
    readonly upstream: Provider,
    // What the answer is checked and counted with, read off the objects it lives on (the call as
    // adapted to the route, the routing settings): no options object per attempt.
    /** The call as adapted to the route: its body, its translations, what was dropped. */
    readonly adapted: AdaptedCall,
    readonly stream: boolean,
    /** `max_sse_line`, `max_upstream_body`, `stream_keepalive`. */
    private readonly policy: Pick<RoutingPolicy, "maxSseLine" | "maxUpstreamBody" | "streamKeepAliveMs">,
    /** A stream's usage meter (a whole answer's usage is read off its one parse). */
    private readonly meter: StreamUsageMeter | undefined,
    readonly attempts: number,
    /** When the attempt began: the reading its telemetry was told (`Attempt.startedMs`). */
    startedMs: number,
  ) {
    // Errors name the upstream the call went to (a worker of a `workers` route: `worker:w1`).
    super(client, target.timeouts, upstream.servedBy ?? upstream.name, startedMs);
    this.route = target.label;
    this.upstreamModel = target.upstreamModel;
  }

  /**
   * What a route to the same upstream model waits in the phase whose bound ended the attempt, when
   * that is longer than this route's bound (`outwaitedBy` of the route's patience); undefined when
   * no bound ended it, or none waits longer.
   */
  longerWait(): number | undefined {
    const { patience } = this.target;
    return patience === undefined ? undefined : this.outwaitedBy(patience);
  }

  /** `CancelHook.cutAtLongestBound`: a bound ended it before the first byte, and no route waits longer. */
  cutAtLongestBound(): boolean {
    return this.timedOutUnanswered() && this.longerWait() === undefined;
  }

  /** The attempt whose reads and bounds the reply's read uses (`NativeReplyContext`): this one. */
  get attempt(): Attempt {
    return this;
  }

  /** The `traceparent` for the upstream call, when the attempt is observed and has one. */
  get observedTraceparent(): TraceparentValue | undefined {
    return this.observed?.traceparent;
  }

  /** The `tracestate` beside it, when there is one. */
  get observedTracestate(): string | undefined {
    return this.observed?.tracestate;
  }

  /** What translation left out for this route, by name; empty when nothing was. */
  get dropped(): readonly string[] {
    return this.adapted.dropped ?? NOTHING_DROPPED;
  }

  get label(): string {
    return this.target.label;
  }
  get dialect(): Dialect {
    return this.upstream.dialect;
  }
  get operation(): Operation {
    return this.adapted.operation;
  }
  /**
   * The upstream's name in the errors of the reply's read and relay (`fa`, `worker:w1`,
   * `worker:w1@node-2`), which name it through `upstreamName` as its provider's own do.
   */
  get provider(): string {
    return this.upstream.servedBy ?? this.upstream.name;
  }
  /** The `previous_response_id` a chain the gateway expanded went without (AdaptedCall `previousId`). */
  get previousId(): string | undefined {
    return this.adapted.native?.previousId;
  }
  /** An Anthropic stream's rewritten error event names the gateway's request (UsageSink's). */
  get scrubbedRequestId(): string | undefined {
    return this.upstream.dialect === "anthropic" ? this.requestId : undefined;
  }
  /** The caller asked base64 embeddings (AdaptedCall `base64Embeddings`). */
  get base64Embeddings(): boolean {
    return this.adapted.native?.base64Embeddings === true;
  }
  get maxLine(): number {
    return this.policy.maxSseLine ?? DEFAULT_MAX_SSE_LINE;
  }
  get maxBody(): number {
    return this.policy.maxUpstreamBody ?? DEFAULT_MAX_UPSTREAM_BODY;
  }
  /** A stream's client is kept alive while its upstream is quiet (`Attempt.keepAlive`). */
  protected override get keepAliveMs(): number {
    return this.stream ? (this.policy.streamKeepAliveMs ?? 0) : 0;
  }

  /** What the answer used so far: a whole answer's from its body, a stream's as metered. */
  usage(): Usage {
    return this.found ?? this.meter?.usage ?? { inputTokens: 0, outputTokens: 0 };
  }

  /** The model the upstream says answered: a whole answer's, a stream's once its usage came. */
  answeredModel(): string | undefined {
    return this.foundModel ?? this.meter?.model;
  }

  /**
   * A whole answer's usage and the model it names, read off its one parse; where the provider
   * wrote the answer (`writesAnswers`), whose `model` is the caller's, only the one it says its
   * upstream named (ProviderReply `answeredModel`). Its usage is the one the provider read off its
   * upstream's answer where it hands one (ProviderReply `usage`: what Bedrock billed, more than its
   * chat answer can say), else the body's.
   */
  readWhole(body: JsonObject, model?: string, usage?: Usage): void {
    this.found = usage ?? usageOf(this.upstream)(body);
    this.foundModel = model ?? (this.upstream.writesAnswers ? undefined : answeredModel(body));
  }

  /**
   * Sees each stream event that carries usage, and a stream's end event; false keeps it from the
   * caller. A native Responses stream's final response is stored however it ended: completed,
   * incomplete (cut at `max_output_tokens`) or failed, as OpenAI stores each.
   */
  onUsage(event: SseEvent): boolean {
    const answered = this.adapted.native?.answered;
    const meter = this.meter;
    if (answered && event.event !== undefined && FINAL_RESPONSE_EVENTS.has(event.event)) {
      const parsed = parseEventData(event.data);
      if (isJsonObject(parsed) && isJsonObject(parsed.response)) answered(parsed.response);
    }
    if (!meter) return true;
    meter.observe(event);
    const keep = this.adapted.keep;
    return keep ? keep(event) : true;
  }

  /** A usage figure the provider read off its upstream's stream event, and the model it named. */
  record(usage: Usage, model?: string): void {
    this.meter?.record(usage, model);
  }

  /** A usage figure the caller's translation read off the provider's stream (StreamUsageMeter `read`). */
  readUsage(usage: Usage, model?: string): void {
    this.meter?.read(usage, model);
  }

  /**
   * A same-dialect chat (or completions) stream's caller asked for usage itself (`UsageSink`):
   * `include_usage` in a body the gateway did not add it to. Its chunks' `object`, if so.
   */
  get usageAsked(): OwedUsageObject | undefined {
    if (this.adapted.native?.forcedUsage !== false || !wantsUsage(this.adapted.body)) return undefined;
    return this.adapted.operation === "completions" ? "text_completion" : "chat.completion.chunk";
  }

  /**
   * A relayed stream ends whole with no usage object of the upstream's: the estimate its caller is
   * told (translate/stream-estimate.ts), recorded as the stream's usage, so the record says it too.
   */
  recordEstimate(upstreamEvents: number): Usage | undefined {
    const meter = this.meter;
    if (!meter) return undefined;
    const usage = estimatedStreamUsage(this.adapted.body, upstreamEvents);
    meter.record(usage);
    return usage;
  }

  /** A whole native answer, parsed: a native Responses answer is stored. */
  onBody(body: JsonObject): void {
    this.adapted.native?.answered?.(body);
  }

  /**
   * The upstream's reply is in (the attempt's read steps here): read as far as the router must
   * before committing, in the same promise (attempt-answer.ts).
   */
  arrived(reply: ProviderReply): ClientReply | Promise<ClientReply> | typeof READ_ON {
    this.replied = reply;
    return answerOf(this, reply);
  }

  /** The call failed, or the attempt was aborted: rejected with as it is. */
  failed(error: unknown): unknown {
    return error;
  }

  /**
   * Called once when the upstream exchange is over (later calls are ignored); `nowMs`, a
   * `performance.now()` read at this moment already (telemetry's close takes it).
   */
  done(error?: GatewayError, nowMs?: number): void {
    if (this.settled) return;
    this.settled = true;
    this.disarm();
    this.health.end(this.target.key);
    if (this.verdict) this.observed?.closed(error, nowMs, this.kept ? this : undefined);
    else {
      this.closeWaits = true;
      this.closeError = error;
    }
  }

  /** The router's verdict on the attempt at `settledMs`; a close that came first is told now. */
  judged(error: GatewayError | undefined, servedBy: string | undefined, settledMs: number): void {
    this.observed?.settled(error, servedBy, settledMs);
    this.verdict = true;
    this.kept = error === undefined;
    // The exchange was over before the verdict: closed at the verdict's reading (no clock read).
    if (this.closeWaits) this.observed?.closed(this.closeError, settledMs, this.kept ? this : undefined);
  }
}

/** Shared by every answer (and request record) that dropped nothing (never written to). */
export const NOTHING_DROPPED: readonly string[] = Object.freeze([]);

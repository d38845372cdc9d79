import { DEFAULT_TENANT, servesTenant } from "../../config/tenant-config.ts";
import type { Operation } from "../../core/dialect.ts";
import { GatewayError, unsupportedOperation } from "../../core/gateway-error.ts";
import { readUpstreamReply, readWholeReply } from "../../providers/http/read-reply.ts";
import type { StreamedAnswer } from "../../providers/http/streamed-answer.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";
import { withLegacyMaxTokens } from "../../providers/openai-compatible/presets.ts";
import type { ForwardRequest, Provider, ProviderCall, ProviderReply } from "../../providers/provider.ts";
import { upstreamName, workerOfName, workerProviderName } from "../../providers/upstream-name.ts";
import { StoredResponsePath, UpstreamPath } from "../protocol.ts";
import { capacityRefusal, drainingRefusal, onlyBusy } from "./capacity-refusal.ts";
import type { NoWorker } from "./no-worker.ts";
import type { RegisteredWorker, TunnelRequest } from "./registered-worker.ts";
import { isServerFault, judgesWorker, modelNotServed, serverFault } from "./server-fault.ts";
import { WorkerReplaced, WorkerUpstreamFault } from "./tunnel-failures.ts";
import type { WorkerRegistry } from "./worker-registry.ts";

const PATHS: Partial<Record<Operation, UpstreamPath>> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
  responses: "/responses",
};

/** How a worker is named as a route and as the holder of a native Responses answer. */
export const workerLabel = (worker: Pick<RegisteredWorker, "name">) => workerProviderName(worker.name);

/**
 * `provider: workers`: any connected worker serving the call's (upstream) model to the caller's
 * tenant (its own tenant's workers and the default tenant's), least busy first — or the one
 * holding the conversation a Responses call continues. The router narrows
 * it to one worker (`select`) before adapting the call, so a worker whose upstream announced
 * the Responses API gets Responses calls natively, like an `openai` provider with
 * `responses_api`. The tunnel hands back the worker's upstream answer as a Response, read by
 * the same code as a direct OpenAI-compatible upstream.
 */
export function createWorkersProvider(registry: WorkerRegistry): Provider {
  // One provider a worker connection, made at its first call, not one (and its closures) a call;
  // made again once the worker announced the Responses API on its connection (`announce`).
  const providers = new WeakMap<RegisteredWorker, Provider>();
  function providerOf(worker: RegisteredWorker): Provider {
    let provider = providers.get(worker);
    if (!provider || (provider.responsesApi === true) !== (worker.responsesApi === true)) {
      provider = oneWorker(worker, registry);
      providers.set(worker, provider);
    }
    return provider;
  }

  function select(
    model: string,
    holder: string | undefined,
    tenant: string,
    avoid?: ReadonlySet<string>,
  ): Provider {
    const held = workerOfName(holder);
    const names = avoid && workerNames(avoid);
    const worker = registry.pick(model, tenant, held, 0, names);
    // Said of the workers this caller may use, and has not failed on: another tenant's are neither
    // busy nor there, and busy means another worker would take the call once a slot frees.
    if (!worker) throw noWorkerTakes(model, registry.whyNone(model, tenant, names));
    return providerOf(worker);
  }

  /** A shadow copy's worker: one that keeps a free slot for the clients once the copy has its own. */
  function spare(model: string, tenant: string): Provider | undefined {
    const worker = registry.pick(model, tenant, undefined, 1);
    if (worker) return providerOf(worker);
    if (registry.serves(model, tenant)) return undefined;
    throw noWorkerServes(model);
  }

  return {
    name: "workers",
    dialect: "openai",
    passThrough: true,
    select,
    spare,
    holder(name, tenant) {
      const held = workerOfName(name);
      const worker = held === undefined ? undefined : registry.get(held);
      return worker && servesTenant(worker, tenant) ? providerOf(worker) : undefined;
    },
    onlyBusy,
    // A call no caller's tenant narrowed (`select`) goes to the platform's workers only.
    call: async (call) => {
      const model = typeof call.body.model === "string" ? call.body.model : "";
      return select(model, undefined, DEFAULT_TENANT).call(call);
    },
    listModels: async () => registry.models(),
  };
}

/** The registry's names of the workers among upstreams named `worker:<name>`. */
export const workerNames = (labels: ReadonlySet<string>): ReadonlySet<string> =>
  new Set([...labels].map(workerOfName).filter((name) => name !== undefined));

/**
 * What a caller is told when no worker takes its call, by the registry's reason (a peer link's
 * switch tells the calling node the same: cluster/frame-switch.ts); `said`, where the reason was
 * read when not from this node's workers.
 */
export function noWorkerTakes(model: string, why: NoWorker, said = ""): GatewayError {
  if (why === "full") return capacityRefusal(`every worker serving ${model} is at capacity${said}`);
  if (why === "draining") return drainingRefusal(`every worker serving ${model} is draining${said}`);
  return noWorkerServes(model);
}

const noWorkerServes = (model: string) =>
  new GatewayError({
    status: 503,
    code: "no_route_available",
    message: `no connected worker serves ${model}`,
    retryable: true,
  });

/**
 * One worker as a provider: what its tunnel serves, named `worker:<name>`. `registry` judges it on
 * a 404, which its tunnel leaves to be read here (worker-tunnel.ts `judgeHead`).
 */
function oneWorker(worker: RegisteredWorker, registry: Pick<WorkerRegistry, "settled">): Provider {
  const name = workerLabel(worker);
  // The audit row and live view name the worker that served it: `route = worker:<name>`.
  const httpReply = (response: Response | WholeAnswer | StreamedAnswer): ProviderReply => ({
    kind: "http",
    response,
    servedBy: name,
  });
  // Its model server's own failure is the worker's (server-fault.ts); any other answer is relayed.
  const nativeReply = (
    answer: Response | WholeAnswer | StreamedAnswer,
  ): ProviderReply | Promise<ProviderReply> | Promise<never> =>
    isServerFault(answer.status)
      ? serverFault(name, answer)
      : answer.status === 404
        ? notFound(answer).then(() => httpReply(answer))
        : httpReply(answer);
  /**
   * A 404: its model server does not serve the model it offered (`modelNotServed`), the worker's
   * fault, thrown and judged as its other faults are (before the call's re-pick); else the caller's.
   */
  async function notFound(answer: Response | WholeAnswer | StreamedAnswer): Promise<void> {
    const fault = await modelNotServed(name, answer);
    if (judgesWorker(fault)) registry.settled(worker, fault === undefined);
    if (fault) throw fault;
  }
  /**
   * A native call is one `then` on the tunnel's answer, no async frame a call (as a direct
   * provider's `postNative`); a call the gateway translates reads the answer (`translated`).
   */
  function call(call: ProviderCall): Promise<ProviderReply> {
    const path = pathOf(call);
    if (!path)
      return Promise.reject(unsupportedOperation(`${upstreamName(name)} does not serve ${call.operation}`));
    const request = tunnelRequest(call, path);
    if (!call.native) return translated(call, request);
    try {
      // As the lean client's answers: a successful stream as a byte feed, a non-stream answer
      // whole as bytes; the relay reads either without a `Response` built to be read once.
      return (call.stream ? worker.openFeed(request) : worker.openWhole(request)).then(nativeReply);
    } catch (error) {
      // A failure to send is the call's, as an async function's would be: a rejection.
      return Promise.reject(error);
    }
  }
  async function translated(call: ProviderCall, request: TunnelRequest): Promise<ProviderReply> {
    // A non-stream answer comes whole as bytes: no Response is built to be read once.
    const answer = call.stream ? await worker.open(request) : await worker.openWhole(request);
    if (isServerFault(answer.status)) return serverFault(name, answer);
    if (answer.status === 404) await notFound(answer);
    const reply =
      answer instanceof Response
        ? await readUpstreamReply(name, answer, call)
        : readWholeReply(name, answer, call);
    return { ...reply, servedBy: name };
  }
  /** A stored response its upstream holds, read or removed through the tunnel. */
  async function forward(request: ForwardRequest): Promise<Response> {
    const path = StoredResponsePath.safeParse(request.path);
    if (!path.success) throw unsupportedOperation(`workers do not forward ${request.path}`);
    return worker.open({
      method: request.method,
      path: path.data,
      body: {},
      stream: false,
      requestId: request.requestId,
      signal: request.signal,
      traceparent: request.traceparent,
      tracestate: request.tracestate,
      headers: request.headers,
      query: request.query,
    });
  }
  return {
    name,
    dialect: "openai",
    passThrough: true,
    ...(worker.responsesApi ? { responsesApi: true, forward } : {}),
    call,
    // Its model server down, failing or refusing its key is its own fault: the registry passes over
    // it, and the route's breaker counts it only once no other worker is left to take the call.
    ownFault: isOwnFault,
    // Its model server silent for the longest bound, for this call and every other: hung, and
    // counted towards taking it out as a server that is down (server-silence.ts).
    silenced: (attempt) => {
      if (worker.silence?.answeredNothing(attempt) === true) registry.settled(worker, false);
    },
  };
}

/**
 * A call as the request a tunnel sends (to a worker here, or over a cluster peer link). A body the
 * gateway wrote (a translation) bounds the answer with `max_tokens`: a worker's upstream is a
 * self-hosted server, and every one reads that name, where Ollama, and llama.cpp before 2026, pass
 * over `max_completion_tokens` and answer unbounded. A caller's own body goes as it was sent.
 */
export function tunnelRequest(call: ProviderCall, path: UpstreamPath): TunnelRequest {
  const native = call.native;
  return {
    path,
    body: native ? call.body : withLegacyMaxTokens(call.body),
    stream: call.stream,
    requestId: call.requestId,
    signal: call.signal,
    cancel: call.cancel,
    traceparent: call.traceparent === undefined ? undefined : String(call.traceparent),
    tracestate: call.tracestate,
    // The client's dialect headers and query string reach the worker's upstream as they would
    // a provider's, and its body as the bytes it sent (only `model` spliced).
    headers: native?.headers,
    query: native?.query,
    clientBytes: native?.bytes,
    // Its 404 is read for a model the server does not serve (`notFound`; forwarding-provider.ts).
    readsNotFound: true,
  };
}

/** The operation's path, or a native call's own (`/responses/compact`) when the tunnel knows it. */
export function pathOf(call: ProviderCall): UpstreamPath | undefined {
  if (!call.native?.path) return PATHS[call.operation];
  const parsed = UpstreamPath.safeParse(call.native.path);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A worker's report that its own model server failed (tunnel-failures.ts), or the server's own
 * failing answer (server-fault.ts), here or on another node.
 */
export const isOwnFault = (failure: GatewayError) => failure instanceof WorkerUpstreamFault;

/**
 * Another node's report that it lost the worker's connection to a newer one registered under its
 * name (tunnel-failures.ts `WorkerReplaced`): Provider.lostToRestart of a worker on another node.
 */
export const lostToRestart = (failure: GatewayError): GatewayError | undefined =>
  failure instanceof WorkerReplaced ? failure.restart : undefined;

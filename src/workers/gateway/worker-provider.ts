import type { Operation } from "../../core/dialect.ts";
import { GatewayError, unsupportedOperation } from "../../core/gateway-error.ts";
import { readUpstreamReply } from "../../providers/http/read-reply.ts";
import type { Provider, ProviderCall, ProviderReply } from "../../providers/provider.ts";
import type { UpstreamPath } from "../protocol.ts";
import type { WorkerRegistry } from "./worker-registry.ts";

const PATHS: Partial<Record<Operation, UpstreamPath>> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
  responses: "/responses",
};

/**
 * `provider: workers`: any connected worker serving the call's (upstream) model, least busy
 * first. The tunnel hands back the worker's upstream answer as a Response, read by the same
 * code as a direct OpenAI-compatible upstream.
 */
export function createWorkersProvider(registry: WorkerRegistry): Provider {
  async function call(call: ProviderCall): Promise<ProviderReply> {
    const path = PATHS[call.operation];
    if (!path) throw unsupportedOperation(`workers do not serve ${call.operation}`);
    const model = typeof call.body.model === "string" ? call.body.model : "";
    const worker = registry.pick(model);
    if (!worker) {
      const busy = registry.serves(model);
      throw new GatewayError({
        status: 503,
        code: busy ? "unavailable" : "no_route_available",
        message: busy
          ? `every worker serving ${model} is at capacity`
          : `no connected worker serves ${model}`,
        retryable: true,
      });
    }
    const response = await worker.open({
      path,
      body: call.body,
      stream: call.stream,
      requestId: call.requestId,
      signal: call.signal,
      traceparent: call.traceHeaders?.traceparent,
    });
    // The reply comes back as the worker's upstream sent it; the request body goes as JSON (the
    // tunnel protocol carries no client headers).
    if (call.native) return { kind: "http", response, servedBy: `worker:${worker.name}` };
    const reply = await readUpstreamReply(`worker:${worker.name}`, response, call);
    // The audit row and live view name the worker that served it: `route = worker:<name>`.
    return { ...reply, servedBy: `worker:${worker.name}` };
  }

  return {
    name: "workers",
    dialect: "openai",
    passThrough: true,
    call,
    listModels: async () => registry.models(),
  };
}

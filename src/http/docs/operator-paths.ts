import { adminErrors, answered, errorResponses, json, requestId } from "./openapi-responses.ts";
import { operationIdOf } from "./operation-id.ts";
import type { DocumentedFront, ServedSurface } from "./served-surface.ts";

const tag = { tags: ["Operations"] };

/**
 * Anthropic's connection probe under `front` (client-probes.ts): at the root, and under each app
 * whose `frontdoor` is `anthropic`.
 */
export const helloPath = (front: DocumentedFront) => ({
  [`${front.prefix}/api/hello`]: {
    get: {
      ...tag,
      operationId: operationIdOf(front, "hello"),
      summary: "Anthropic's connection probe (Claude Code opens its connection with it); also HEAD",
      description: "Answered as Anthropic's API answers it: no credential, no audit row.",
      security: [],
      responses: {
        "200": json(
          "Hello",
          { type: "object", properties: { message: { const: "hello" } }, required: ["message"] },
          { message: "hello" },
        ),
      },
    },
    head: {
      ...tag,
      operationId: operationIdOf(front, "hello_head"),
      summary: "Anthropic's connection probe, as Claude Code sends it",
      security: [],
      responses: { "200": { description: "Hello (no body)", headers: requestId } },
    },
  },
});

const metricsPath = {
  "/metrics": {
    get: {
      ...tag,
      operationId: "metrics",
      summary: "Prometheus metrics (an admin key outside every tenant; or `metrics.listen` without a key)",
      responses: {
        "200": {
          description: "Text exposition format",
          headers: requestId,
          content: { "text/plain": { schema: { type: "string" } } },
        },
        ...adminErrors,
      },
    },
  },
};

const workersPath = {
  "/workers/connect": {
    get: {
      tags: ["Workers"],
      operationId: "worker_connect",
      summary: "WebSocket upgrade for `mindgw worker` (worker role)",
      description:
        "Control frames are JSON text messages, response bodies binary chunk frames, several frames may share one binary batch message (docs/worker-protocol.md): the gateway sends `GatewayFrame`s, the worker `WorkerFrame`s. Both control frame schemas are in `components.schemas`.",
      parameters: [
        { name: "Upgrade", in: "header", required: true, schema: { type: "string", const: "websocket" } },
      ],
      responses: {
        "101": { description: "Switching protocols" },
        ...adminErrors,
        ...errorResponses("openai", [426]),
      },
    },
  },
};

/** Probes, and the metrics and the worker tunnel's upgrade where the config serves them. */
export function operatorPaths(surface: ServedSurface) {
  return {
    "/healthz": {
      get: {
        ...tag,
        operationId: "healthz",
        summary: "Liveness",
        security: [],
        responses: { "200": answered("Alive", "Health") },
      },
    },
    "/readyz": {
      get: {
        ...tag,
        operationId: "readyz",
        summary: "Readiness (503 while draining or while audit storage is down)",
        security: [],
        responses: { "200": answered("Ready", "Ready"), "503": json("Not ready") },
      },
    },
    ...helloPath({ prefix: "" }),
    ...(surface.metrics ? metricsPath : {}),
    ...(surface.workers ? workersPath : {}),
  };
}

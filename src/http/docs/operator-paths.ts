import { adminErrors, errorResponses, json } from "./openapi-responses.ts";

/** Probes, metrics, the models list and the worker tunnel's upgrade. */
export function operatorPaths() {
  const tag = { tags: ["Operations"] };
  return {
    "/healthz": { get: { ...tag, summary: "Liveness", security: [], responses: { "200": json("Alive") } } },
    "/readyz": {
      get: {
        ...tag,
        summary: "Readiness (503 while draining or while audit storage is down)",
        security: [],
        responses: { "200": json("Ready"), "503": json("Not ready") },
      },
    },
    "/metrics": {
      get: {
        ...tag,
        summary: "Prometheus metrics (admin role; or `metrics.listen` without a key)",
        responses: {
          "200": {
            description: "Text exposition format",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          ...adminErrors,
        },
      },
    },
    "/v1/models": {
      get: {
        tags: ["OpenAI"],
        summary: "The models this key may use",
        responses: { "200": json("A list of models"), ...errorResponses("openai", [401, 403]) },
      },
    },
    "/v1/models/{id}": {
      get: {
        tags: ["OpenAI"],
        summary:
          "One model this key may use (`models.retrieve`): a configured name, or one a glob entry routes",
        description:
          "The id is the rest of the path, percent-decoded; it may hold a slash (`meta-llama/Llama-3.1-8B`). A model that is not routed or not this key's is the same 404 `model_not_found`.",
        parameters: [
          { name: "id", in: "path", required: true, schema: { type: "string" }, example: "gpt-4o-mini" },
        ],
        responses: {
          "200": json(
            "The model",
            {
              type: "object",
              required: ["id", "object", "created", "owned_by"],
              properties: {
                id: { type: "string" },
                object: { const: "model" },
                created: { type: "integer" },
                owned_by: { type: "string" },
              },
            },
            { id: "gpt-4o-mini", object: "model", created: 0, owned_by: "mindgw" },
          ),
          ...errorResponses("openai", [401, 403, 404]),
        },
      },
    },
    "/workers/connect": {
      get: {
        tags: ["Workers"],
        summary: "WebSocket upgrade for `mindgw worker` (worker role)",
        description:
          "Control frames are JSON text messages, response bodies binary chunk frames, several frames may share one binary batch message (docs/worker-protocol.md): the gateway sends `GatewayFrame`s, the worker `WorkerFrame`s. Both control frame schemas are in `components.schemas`.",
        parameters: [
          { name: "Upgrade", in: "header", required: true, schema: { type: "string", const: "websocket" } },
        ],
        responses: { "101": { description: "Switching protocols" }, ...adminErrors },
      },
    },
  };
}

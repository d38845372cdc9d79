import type { JsonSchema } from "./json-schema.ts";
import {
  errorResponses,
  GUARD_REFUSALS,
  json,
  modelErrorResponses,
  ref,
  withLimits,
} from "./openapi-responses.ts";
import { operationIdOf } from "./operation-id.ts";
import type { DocumentedFront } from "./served-surface.ts";

/** The compaction's body in `components.schemas`. */
export const COMPACT_REQUEST = "ResponsesCompactRequest";

const compactExample = {
  model: "gpt-4o-mini",
  input: [
    { role: "user", content: "Plan a refactor of the billing module" },
    { role: "assistant", content: "First, split the invoice writer…" },
  ],
};

/**
 * The compaction's body: the Responses request's schema, which checks it (responses-routes.ts),
 * in its own words and example, where the shared component told of continuing and storing an answer.
 */
export const compactRequestSchema = (responsesRequest: JsonSchema): JsonSchema => ({
  ...responsesRequest,
  description:
    "The conversation to compact, in the Responses API's request shape (`input`, `instructions`, a `previous_response_id` whose stored turns come first), checked as `POST /v1/responses`' body is. The gateway stores nothing (`store` changes nothing) and answers JSON (`stream` is not sent on).",
  examples: [compactExample],
});

/**
 * Stored Responses API answers and compaction (responses-routes.ts). A response another tenant
 * stored answers 404, exactly like an unknown id; one an upstream answered natively is read and
 * deleted where it is held, and that upstream's answer is relayed as it came.
 */
export function responsesPaths(front: DocumentedFront, tags: readonly string[]) {
  const { prefix } = front;
  const tag = { tags };
  const id = (name: string) => ({ operationId: operationIdOf(front, name) });
  const idParam = {
    name: "id",
    in: "path",
    required: true,
    description: "The `id` of a `POST /v1/responses` answer",
    schema: { type: "string" },
  };
  const stored = {
    id: "resp_68b1c0ffee",
    object: "response",
    status: "completed",
    model: "gpt-4o-mini",
    output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "Hello!" }] }],
  };
  return {
    [`${prefix}/v1/responses/{id}`]: {
      get: {
        ...tag,
        ...id("retrieve_response"),
        summary: "A stored Responses API answer",
        description:
          "The stored response; one this node is still answering is OpenAI's object as its `response.created` event said it, `status: in_progress`, until its row is written (another node answers 404 until then).",
        parameters: [
          idParam,
          {
            name: "include",
            in: "query",
            required: false,
            schema: { type: "array", items: { type: "string" } },
            description:
              "OpenAI's includables (another value is a 400 naming `include`); the gateway's stored response is whole already.",
          },
          {
            name: "stream",
            in: "query",
            required: false,
            schema: { type: "boolean", enum: [false] },
            description:
              "OpenAI's replay of a background response's events. The gateway runs no response in the background, so every response it stores is complete and read whole: `true` is a 400 naming `stream`.",
          },
        ],
        responses: {
          "200": json("The response", ref("Response"), stored),
          ...errorResponses("openai", [400, 401, 403, 404, ...GUARD_REFUSALS, 502]),
        },
      },
      delete: {
        ...tag,
        ...id("delete_response"),
        summary: "Delete a stored Responses API answer",
        parameters: [idParam],
        responses: {
          "200": json("Deleted", ref("DeletedResponse"), {
            id: stored.id,
            object: "response",
            deleted: true,
          }),
          ...errorResponses("openai", [400, 401, 403, 404, ...GUARD_REFUSALS, 502]),
        },
      },
    },
    [`${prefix}/v1/responses/{id}/input_items`]: {
      get: {
        ...tag,
        ...id("list_input_items"),
        summary: "The input items of a stored Responses API answer",
        description:
          "Everything the response was given, earlier turns of its chain included, paged as OpenAI's API pages it: newest first unless `order=asc`, `limit` items (1–100, default 20) after the item `after` (or just before `before`), `has_more` when more follow. Every item has an id; a message's content is a list of parts. An invalid parameter is a 400 naming it. When an upstream holds the response, the whole query string is passed to it.",
        parameters: [
          idParam,
          { name: "order", in: "query", required: false, schema: { type: "string", enum: ["asc", "desc"] } },
          {
            name: "limit",
            in: "query",
            required: false,
            schema: { type: "integer", minimum: 1, maximum: 100, default: 20 },
          },
          { name: "after", in: "query", required: false, schema: { type: "string" } },
          { name: "before", in: "query", required: false, schema: { type: "string" } },
          {
            name: "include",
            in: "query",
            required: false,
            schema: { type: "array", items: { type: "string" } },
            description: "OpenAI's includables; the gateway's stored items are whole already.",
          },
        ],
        responses: {
          "200": json(
            "A list of input items",
            { type: "object" },
            {
              object: "list",
              data: [
                {
                  id: "msg_1",
                  type: "message",
                  role: "user",
                  status: "completed",
                  content: [{ type: "input_text", text: "Say hello" }],
                },
              ],
              first_id: "msg_1",
              last_id: "msg_1",
              has_more: false,
            },
          ),
          ...errorResponses("openai", [400, 401, 403, 404, ...GUARD_REFUSALS, 502]),
        },
      },
    },
    [`${prefix}/v1/responses/{id}/cancel`]: {
      post: {
        ...tag,
        ...id("cancel_response"),
        summary: "Cancel a background Responses API answer: none runs here",
        description:
          "OpenAI cancels a response created with `background: true` alone, which the gateway refuses: every response it stores is complete, so a stored one is OpenAI's 400 `Cannot cancel a synchronous response.`, and any other id a 404.",
        parameters: [idParam],
        responses: errorResponses("openai", [400, 401, 403, 404, ...GUARD_REFUSALS]),
      },
    },
    [`${prefix}/v1/responses/input_tokens`]: {
      post: {
        ...tag,
        ...id("count_response_input_tokens"),
        summary: "OpenAI's input token count: not served",
        description:
          "The gateway counts no tokens for a Responses request: a 404 saying so. Each answer's `usage.input_tokens` says what its input took.",
        responses: errorResponses("openai", [401, 403, 404, ...GUARD_REFUSALS]),
      },
    },
    [`${prefix}/v1/responses/compact`]: {
      post: {
        ...tag,
        ...id("compact_response"),
        summary: "Compact a conversation into one `compaction` item",
        // The same operation as `POST /v1/responses` (responses-routes.ts): the same body schema, in its own words.
        description:
          "Routed like `POST /v1/responses` and validated by the same schema. A route whose upstream serves the Responses API gets it at its own `/responses/compact` as `POST /v1/responses` would be sent there, not as sent: the route's model; a `previous_response_id` (unknown to the caller's scope: a 400 on every route) or `item_reference` only where that upstream holds what it names, else the stored turns or items inlined from the gateway's store without the ids it would not find; an item's id the caller's scope does not hold taken off; a `compaction` item the gateway wrote as the user message carrying its summary. Any other route answers with a summary turn of the model, as the one `compaction` item. Nothing is stored. The answer is JSON: a `stream` field is not sent on.",
        requestBody: {
          required: true,
          content: { "application/json": { schema: ref(COMPACT_REQUEST), example: compactExample } },
        },
        responses: {
          "200": withLimits(
            json(
              "The `response.compaction` object",
              { type: "object" },
              {
                id: "resp_68b1c0ffee",
                object: "response.compaction",
                created_at: 1767225600,
                output: [{ id: "cmp_68b1c0ffee", type: "compaction", encrypted_content: "…" }],
              },
            ),
            "openai",
          ),
          ...modelErrorResponses("openai", [400, 401, 403, 404, 408, 413, 429, 502, 503, 504]),
        },
      },
    },
  };
}

/**
 * `GET /v1/responses` upgraded: the Responses API's WebSocket mode (http/responses-socket/). Its
 * messages are no HTTP exchange; they are described here in words, the turn's body being the
 * `POST`'s.
 */
export const responsesWebSocketOperation = (front: DocumentedFront, tags: readonly string[]) => ({
  tags,
  operationId: operationIdOf(front, "responses_websocket"),
  summary: "The Responses API's WebSocket mode",
  description: [
    "Upgrade to a WebSocket with the same credentials as a `POST` (`Authorization: Bearer` or `x-api-key`); a refused upgrade is the HTTP error below, as the `POST` would answer it. Without `Upgrade: websocket`, 426.",
    'Each client message is a `response.create` event: the `POST /v1/responses` body with `type: "response.create"`, no `stream` (every turn streams) and no `background`. It runs as that `POST` (its own audit row, limits and route) and its Responses stream events come back one message each. Turns of one lane (`stream_id`, echoed on its events) run one at a time, in the order they were sent; lanes run side by side.',
    "A connection holds at most 16 turns waiting behind running ones (every lane together, no more than `server.max_body` bytes of them) and at most 64 lanes under way: a turn past either is refused at once with a 429 `error` event (`rate_limited`), and the connection goes on.",
    "The connection keeps each lane's last completed response: a turn whose `previous_response_id` names one continues from it even with `store: false` (another lane's: a fork). `generate: false` prepares a turn's context without a model call (an empty response to continue from).",
    'A turn that fails is an `error` event, `{type: "error", status, error: {type, code, message, param}}`; the connection goes on.',
  ].join("\n\n"),
  parameters: [
    { name: "Upgrade", in: "header", required: true, schema: { type: "string" }, example: "websocket" },
  ],
  responses: {
    "101": { description: "Switching Protocols: the connection is a Responses WebSocket" },
    ...errorResponses("openai", [401, 403, 404, 426, ...GUARD_REFUSALS]),
  },
});

import { type Dialect, dialectOf, type Operation } from "../../core/dialect.ts";
import { MODEL_ROUTES } from "../model-routes.ts";
import { REQUEST_SCHEMAS } from "../request-schemas.ts";
import { streamsAnswer } from "../whole-answer-only.ts";
import { ANSWERS, type AnswerName } from "./answer-schemas.ts";
import { jsonSchemaOf } from "./json-schema.ts";
import { modelPaths } from "./model-paths.ts";
import { limitHeaders, modelErrorResponses, ref, requestId } from "./openapi-responses.ts";
import { operationIdOf } from "./operation-id.ts";
import { helloPath } from "./operator-paths.ts";
import { responsesPaths, responsesWebSocketOperation } from "./responses-paths.ts";
import type { DocumentedFront } from "./served-surface.ts";

/** Each model operation's request schema (its name in `components.schemas`) and summary. */
export const MODEL_OPERATIONS: Record<Operation, { readonly name: string; readonly summary: string }> = {
  chat: { name: "ChatCompletionRequest", summary: "Chat completion" },
  completions: { name: "CompletionRequest", summary: "Text completion" },
  embeddings: { name: "EmbeddingsRequest", summary: "Embeddings" },
  responses: { name: "ResponsesRequest", summary: "Responses API" },
  messages: { name: "MessagesRequest", summary: "Anthropic Messages" },
  count_tokens: { name: "CountTokensRequest", summary: "Count tokens" },
};

const DIALECT_TAG: Record<Dialect, string> = { openai: "OpenAI", anthropic: "Anthropic" };

/** Whether `front` serves `operation`: the root every one, an app those of its dialect. */
export const serves = (front: DocumentedFront, operation: Operation): boolean =>
  front.dialect === undefined || dialectOf(operation) === front.dialect;

const traceHeaders = [
  {
    name: "traceparent",
    in: "header",
    required: false,
    description: "W3C trace context; continued by the gateway's spans and passed upstream",
    schema: { type: "string" },
  },
  {
    name: "tracestate",
    in: "header",
    required: false,
    description:
      "W3C vendor trace state, read only beside a well-formed traceparent; the spans' trace state, passed upstream with the traceparent (a malformed one is ignored)",
    schema: { type: "string" },
  },
];

function modelOperation(operation: Operation, front: DocumentedFront) {
  const dialect = dialectOf(operation);
  const { name, summary } = MODEL_OPERATIONS[operation];
  const examples = (jsonSchemaOf(REQUEST_SCHEMAS[operation]).examples as unknown[] | undefined) ?? [];
  const example = examples[0] ? withExampleModel(examples[0], operation, front) : undefined;
  // A count takes no slot of the caller's limits, and its answer does not tell them (model-pipeline.ts).
  const limited = operation !== "count_tokens";
  const headers = limited ? { ...requestId, ...limitHeaders(dialect) } : requestId;
  return {
    tags: tagsOf(front, dialect),
    summary,
    operationId: operationIdOf(front, operation),
    description:
      "Routed to the model's upstreams; the answer is the upstream's, in this route's dialect (translated when the upstream speaks the other one). Only the fields shown are checked by the gateway; every other field is passed on.",
    parameters: traceHeaders,
    requestBody: {
      required: true,
      content: {
        "application/json": { schema: ref(name), ...(example ? { example } : {}) },
      },
    },
    responses: {
      "200": streamsAnswer(operation, undefined)
        ? {
            description: "The answer: JSON, or server-sent events when `stream` is true",
            headers,
            content: {
              "application/json": answerOf(operation),
              "text/event-stream": { schema: { type: "string" } },
            },
          }
        : {
            description: "The answer, JSON: this operation never streams (a `stream` field is not sent on)",
            headers,
            content: { "application/json": answerOf(operation) },
          },
      ...modelErrorResponses(
        dialect,
        dialect === "anthropic"
          ? [400, 401, 403, 404, 408, 413, 429, 502, 503, 504, 529]
          : [400, 401, 403, 404, 408, 413, 429, 502, 503, 504],
        limited,
      ),
    },
  };
}

/** Each operation's answer, in its dialect (answer-schemas.ts). */
const ANSWER_OF: Record<Operation, AnswerName> = {
  chat: "ChatCompletion",
  completions: "Completion",
  embeddings: "Embeddings",
  responses: "Response",
  messages: "Message",
  count_tokens: "TokenCount",
};

/** An operation's JSON answer: its schema and its example. */
function answerOf(operation: Operation) {
  const name = ANSWER_OF[operation];
  return { schema: ref(name), example: ANSWERS[name].example };
}

/** `example` calling the model `front` serves for `operation` (served-surface.ts), where it has one. */
function withExampleModel(example: unknown, operation: Operation, front: DocumentedFront): unknown {
  const model = operation === "embeddings" ? front.examples?.embeddings : front.examples?.chat;
  return model && typeof example === "object" && example !== null ? { ...example, model } : example;
}

/** An app's operations are grouped under its name; the root's under their dialect. */
function tagsOf(front: DocumentedFront, ...dialects: Dialect[]): string[] {
  return front.app ? [front.app.name] : dialects.map((dialect) => DIALECT_TAG[dialect]);
}

/**
 * Every client path `front` serves, under its prefix (front-routes.ts, mount-app.ts): the model
 * calls of its dialects, the model list, stored responses and the Responses WebSocket where it
 * speaks OpenAI's, and Anthropic's connection probe under an Anthropic app.
 */
export function clientPaths(front: DocumentedFront): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, operation] of MODEL_ROUTES)
    if (serves(front, operation)) paths[front.prefix + path] = { post: modelOperation(operation, front) };
  Object.assign(paths, modelPaths(front, tagsOf(front, "openai", "anthropic")));
  if (front.dialect !== "anthropic") {
    const tags = tagsOf(front, "openai");
    Object.assign(paths, responsesPaths(front, tags));
    const responses = `${front.prefix}/v1/responses`;
    paths[responses] = { ...paths[responses], get: responsesWebSocketOperation(front, tags) };
  }
  // The root's probe is served whatever the apps (operator-paths.ts).
  if (front.app && front.dialect === "anthropic") Object.assign(paths, helloPath(front));
  return paths;
}

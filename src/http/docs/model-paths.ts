import type { Dialect } from "../../core/dialect.ts";
import { anthropicModelInfo, anthropicModelsQuerySchema } from "../anthropic-model-list.ts";
import { type JsonSchema, queryParameters } from "./json-schema.ts";
import { errorResponses, GUARD_REFUSALS, json, ownErrorAnswer, ref } from "./openapi-responses.ts";
import { operationIdOf } from "./operation-id.ts";
import type { DocumentedFront } from "./served-surface.ts";

// `GET /v1/models` and `/v1/models/{id}`: at the root one pair of paths for both SDKs, each
// answered in the caller's dialect (models-route.ts `modelsDialectOf`); under an app, in its own.

const anthropicVersion = {
  name: "anthropic-version",
  in: "header",
  required: false,
  description: "Sent by Anthropic's SDKs: the answer and its errors are then in Anthropic's shape",
  schema: { type: "string" },
  example: "2023-06-01",
};

const openAIModel: JsonSchema = {
  type: "object",
  required: ["id", "object", "created", "owned_by"],
  properties: {
    id: { type: "string" },
    object: { const: "model" },
    created: { type: "integer" },
    owned_by: { type: "string" },
  },
};

const nothingKnown = { type: "null" };
const anthropicModel: JsonSchema = {
  type: "object",
  required: ["type", "id", "display_name", "created_at", "lifecycle"],
  properties: {
    type: { const: "model" },
    id: { type: "string" },
    display_name: { type: "string" },
    created_at: { type: "string", format: "date-time" },
    lifecycle: { const: "active" },
    deprecated_at: nothingKnown,
    retires_at: nothingKnown,
    line: nothingKnown,
    capabilities: nothingKnown,
    max_input_tokens: nothingKnown,
    max_tokens: nothingKnown,
  },
};

const openAIList: JsonSchema = {
  type: "object",
  required: ["object", "data"],
  properties: { object: { const: "list" }, data: { type: "array", items: openAIModel } },
};

const anthropicPage: JsonSchema = {
  type: "object",
  required: ["data", "has_more", "first_id", "last_id"],
  properties: {
    data: { type: "array", items: anthropicModel },
    has_more: { type: "boolean" },
    first_id: { type: ["string", "null"] },
    last_id: { type: ["string", "null"] },
  },
};

/** Errors in the front door's dialect, or at the root in either, as the answer is. */
function errorsOf(dialect: Dialect | undefined, statuses: readonly number[]) {
  if (dialect) return errorResponses(dialect, statuses);
  const schema = { oneOf: [ref("OpenAIError"), ref("AnthropicError")] };
  return Object.fromEntries(statuses.map((status) => [String(status), ownErrorAnswer(status, schema)]));
}

/** Anthropic's list query; `lifecycle` as its SDK writes an array (`lifecycle[]=active`). */
const anthropicQuery = () =>
  queryParameters(anthropicModelsQuerySchema).map((parameter) =>
    parameter.name === "lifecycle"
      ? { ...parameter, name: "lifecycle[]", style: "form", explode: true }
      : parameter,
  );

const openAIExample = { id: "gpt-4o-mini", object: "model", created: 0, owned_by: "mindgw" };
const anthropicExample = anthropicModelInfo("claude-sonnet");

const PAGING =
  "Anthropic's pages: `limit` models after `after_id` or before `before_id`. A cursor that names no model in the list is a 400.";

/** What the two paths say in each dialect: `both` is the root's, an app's is its own. */
const SHAPES = {
  openai: {
    description: "In OpenAI's shape, whatever the caller sends.",
    listing: "Every model at once.",
    listParameters: () => [],
    list: () => json("A list of models", openAIList, { object: "list", data: [openAIExample] }),
    model: () => json("The model", openAIModel, openAIExample),
    headers: [],
  },
  anthropic: {
    description: "In Anthropic's shape, whatever the caller sends.",
    listing: PAGING,
    listParameters: () => anthropicQuery(),
    list: () =>
      json("A page of models", anthropicPage, {
        data: [anthropicExample],
        has_more: false,
        first_id: anthropicExample.id,
        last_id: anthropicExample.id,
      }),
    model: () => json("The model", anthropicModel, anthropicExample),
    headers: [],
  },
  both: {
    description:
      "In OpenAI's shape; in Anthropic's to a caller that sends `anthropic-version` (Anthropic's SDKs and Claude Code do).",
    listing: `OpenAI's lists every model at once; ${PAGING} (Anthropic's parameters, read only for an Anthropic caller.)`,
    listParameters: () => [anthropicVersion, ...anthropicQuery()],
    list: () =>
      json(
        "A list of models",
        { oneOf: [openAIList, anthropicPage] },
        { object: "list", data: [openAIExample] },
      ),
    model: () => json("The model", { oneOf: [openAIModel, anthropicModel] }, anthropicExample),
    headers: [anthropicVersion],
  },
};

/** `GET /v1/models` and `/v1/models/{id}` under `front`'s prefix, in its dialect, tagged `tags`. */
export function modelPaths(front: DocumentedFront, tags: readonly string[]) {
  const shape = SHAPES[front.dialect ?? "both"];
  const listParameters = shape.listParameters();
  return {
    [`${front.prefix}/v1/models`]: {
      get: {
        tags,
        operationId: operationIdOf(front, "list_models"),
        summary: "The models this key may use",
        description: `${shape.description} ${shape.listing}`,
        ...(listParameters.length > 0 ? { parameters: listParameters } : {}),
        responses: { "200": shape.list(), ...errorsOf(front.dialect, [400, 401, 403, ...GUARD_REFUSALS]) },
      },
    },
    [`${front.prefix}/v1/models/{id}`]: {
      get: {
        tags,
        operationId: operationIdOf(front, "retrieve_model"),
        summary:
          "One model this key may use (`models.retrieve`): a configured name, or one a glob entry routes",
        description: `${shape.description} The id is the rest of the path, percent-decoded; it may hold a slash (\`meta-llama/Llama-3.1-8B\`). A model that is not routed or not this key's is the same 404 \`model_not_found\` (\`not_found_error\` in Anthropic's shape).`,
        parameters: [
          {
            name: "id",
            in: "path",
            required: true,
            schema: { type: "string" },
            example: front.examples?.chat ?? "gpt-4o-mini",
          },
          ...shape.headers,
        ],
        responses: { "200": shape.model(), ...errorsOf(front.dialect, [401, 403, 404, ...GUARD_REFUSALS]) },
      },
    },
  };
}

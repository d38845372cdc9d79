import { anthropicModelInfo, anthropicModelsQuerySchema } from "../anthropic-model-list.ts";
import { type JsonSchema, queryParameters } from "./json-schema.ts";
import { ERRORS, json, ref } from "./openapi-responses.ts";

// `GET /v1/models` and `/v1/models/{id}`: one pair of paths for both SDKs, each answered in the
// caller's dialect (models-route.ts `modelsDialectOf`).

const WHICH_SHAPE =
  "In OpenAI's shape; in Anthropic's to a caller that sends `anthropic-version` (Anthropic's SDKs and Claude Code do) and under an app whose `frontdoor` is `anthropic`.";

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

/** Errors in either dialect, as the answer is. */
function errorsOfBoth(statuses: readonly number[]) {
  const schema = { oneOf: [ref("OpenAIError"), ref("AnthropicError")] };
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERRORS[status] ?? "Error", content: { "application/json": { schema } } },
    ]),
  );
}

/** Anthropic's list query; `lifecycle` as its SDK writes an array (`lifecycle[]=active`). */
const anthropicQuery = () =>
  queryParameters(anthropicModelsQuerySchema).map((parameter) =>
    parameter.name === "lifecycle"
      ? { ...parameter, name: "lifecycle[]", style: "form", explode: true }
      : parameter,
  );

export function modelPaths() {
  const tags = ["OpenAI", "Anthropic"];
  return {
    "/v1/models": {
      get: {
        tags,
        summary: "The models this key may use",
        description: `${WHICH_SHAPE} OpenAI's lists every model at once; Anthropic's pages: \`limit\` models after \`after_id\` or before \`before_id\` (Anthropic's parameters, read only for an Anthropic caller). A cursor that names no model in the list is a 400.`,
        parameters: [anthropicVersion, ...anthropicQuery()],
        responses: {
          "200": json(
            "A list of models",
            { oneOf: [openAIList, anthropicPage] },
            {
              object: "list",
              data: [{ id: "gpt-4o-mini", object: "model", created: 0, owned_by: "mindgw" }],
            },
          ),
          ...errorsOfBoth([400, 401, 403]),
        },
      },
    },
    "/v1/models/{id}": {
      get: {
        tags,
        summary:
          "One model this key may use (`models.retrieve`): a configured name, or one a glob entry routes",
        description: `${WHICH_SHAPE} The id is the rest of the path, percent-decoded; it may hold a slash (\`meta-llama/Llama-3.1-8B\`). A model that is not routed or not this key's is the same 404 \`model_not_found\` (\`not_found_error\` to an Anthropic caller).`,
        parameters: [
          { name: "id", in: "path", required: true, schema: { type: "string" }, example: "gpt-4o-mini" },
          anthropicVersion,
        ],
        responses: {
          "200": json(
            "The model",
            { oneOf: [openAIModel, anthropicModel] },
            anthropicModelInfo("claude-sonnet"),
          ),
          ...errorsOfBoth([401, 403, 404]),
        },
      },
    },
  };
}

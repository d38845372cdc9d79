import { z } from "zod";
import type { Operation } from "../core/dialect.ts";
import { METADATA_JSON_SCHEMA } from "../core/refuse-bad-metadata.ts";
import { anthropicStream } from "../translate/anthropic-stream-field.ts";

/**
 * What the gateway itself relies on in each client request body: `model`, `stream`, and the
 * operation's key field. Everything else is the upstream's to judge, so every schema is loose
 * (unknown fields pass through untouched). These schemas validate requests (validate-body.ts)
 * and are the request bodies of the OpenAPI document (docs/openapi-document.ts).
 */
/**
 * The longest model name a request may name. Far beyond any real one (the longest are ~100
 * characters); a longer name costs every glob it is matched against and every line it is written
 * to, so it is refused before either.
 */
export const MAX_MODEL_LENGTH = 256;

const model = z
  .string({ error: "you must provide a model parameter" })
  .min(1, "you must provide a model parameter")
  .max(MAX_MODEL_LENGTH, `model must be at most ${MAX_MODEL_LENGTH} characters`)
  .meta({
    description: "A model name from the gateway's config (GET /v1/models lists those your key may use).",
  });

// Null is as good as absent, as OpenAI's SDKs type it (`stream?: boolean | null`).
const stream = z
  .boolean({ error: "stream must be a boolean" })
  .nullish()
  .meta({ description: "Stream the answer as server-sent events." });

const required = (field: string, expect: string) => ({ error: `${field} is required: ${expect}` });

const messages = (what: string) =>
  z.array(z.unknown(), required("messages", "an array of messages")).meta({ description: what });

const textOrList = (field: string, expect: string) =>
  z.union([z.string(), z.array(z.unknown())], required(field, expect));

export const chatRequest = z
  .looseObject({
    model,
    stream,
    messages: messages("The conversation, in OpenAI's chat format."),
  })
  .meta({
    description: "OpenAI chat completions. Every other field of OpenAI's API is passed to the upstream.",
    examples: [
      {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
        stream_options: { include_usage: true },
      },
    ],
  });

// Required but nullable, as openai-node types it: null is OpenAI's default prompt, <|endoftext|>
// (generated "as if from the beginning of a new document"), the upstream's to read.
const prompt = textOrList("prompt", "a prompt").nullable().meta({
  description:
    "The prompt(s): a text, texts, token ids or lists of them; null generates as from a new document (OpenAI's default, <|endoftext|>).",
});

export const completionsRequest = z.looseObject({ model, stream, prompt }).meta({
  description: "OpenAI legacy completions.",
  examples: [{ model: "gpt-4o-mini", prompt: "Once upon a time", max_tokens: 32 }],
});

export const embeddingsRequest = z.looseObject({ model, input: textOrList("input", "an input") }).meta({
  description:
    "OpenAI embeddings. On Bedrock, Gemini API and Vertex AI routes `input` must be text, at most 2,048 inputs (token ids are a 400: LangChain's Python OpenAIEmbeddings sends texts with `check_embedding_ctx_length=False`), and a `task_type` (Google) or `input_type` (Cohere on Bedrock) field is passed on.",
  examples: [{ model: "text-embedding-3-small", input: ["first text", "second text"] }],
});

export const responsesRequest = z
  .looseObject({
    model,
    stream,
    // Each checked on every route (http/responses-context.ts) in its own words, not here: described.
    store: z
      .unknown()
      .optional()
      .meta({
        type: ["boolean", "null"],
        description:
          "Store the answer for `previous_response_id` and `GET /v1/responses/{id}` (unless `false`).",
      }),
    previous_response_id: z
      .unknown()
      .optional()
      .meta({
        type: ["string", "null"],
        description:
          "Continue a stored answer (`store` not `false`) of your own, or your tenant's: its turns come before `input`.",
      }),
    background: z
      .unknown()
      .optional()
      .meta({
        not: { const: true },
        description: "Not `true`: the gateway runs no response in the background (a 400).",
      }),
    conversation: z.unknown().optional().meta({
      type: "null",
      description:
        "None: the gateway serves no Conversations API (a 400); send the earlier turns in `input`, or continue with `previous_response_id`.",
    }),
    metadata: z
      .unknown()
      .optional()
      .meta({
        description: `At most ${METADATA_JSON_SCHEMA.maxProperties} pairs of text, each name at most ${METADATA_JSON_SCHEMA.propertyNames.maxLength} characters and each value at most ${METADATA_JSON_SCHEMA.additionalProperties.maxLength} (OpenAI's limits, held on every route); null is none.`,
        ...METADATA_JSON_SCHEMA,
      }),
  })
  .meta({
    description:
      "OpenAI Responses API. `previous_response_id` continues a stored answer; all other fields are passed on.",
    examples: [{ model: "gpt-4o-mini", input: "Write a haiku about gateways", store: true }],
  });

export const messagesRequest = z
  .looseObject({
    model,
    // Anthropic's own: a boolean, never null (translate/anthropic-schema.ts).
    stream: anthropicStream,
    messages: messages("The conversation, in Anthropic's Messages format."),
    max_tokens: z
      .number(required("max_tokens", "a positive integer"))
      .int(required("max_tokens", "a positive integer"))
      .positive(required("max_tokens", "a positive integer")),
  })
  .meta({
    description: "Anthropic Messages API (served at the root or under an app's path).",
    examples: [
      { model: "claude-sonnet-4-5", max_tokens: 256, messages: [{ role: "user", content: "Say hello" }] },
    ],
  });

export const countTokensRequest = z
  .looseObject({ model, messages: messages("The conversation to count, in Anthropic's format.") })
  .meta({
    description: "Anthropic token counting.",
    examples: [
      { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "How many tokens is this?" }] },
    ],
  });

export const REQUEST_SCHEMAS: Record<Operation, z.ZodType<{ model: string } & Record<string, unknown>>> = {
  chat: chatRequest,
  completions: completionsRequest,
  embeddings: embeddingsRequest,
  responses: responsesRequest,
  messages: messagesRequest,
  count_tokens: countTokensRequest,
};

import { z } from "zod";
import { auditRecordSchema } from "../../audit/audit-record-schema.ts";
import { keyViewSchema as keyViewOf } from "../../auth/key-view.ts";
import { type JsonSchema, jsonSchemaOf } from "./json-schema.ts";

// The answers the OpenAPI document describes with a schema of their own (components.schemas), each
// with an example as the gateway answers. The admin API's keys and audit pages are the zod schemas
// that shape them (auth/key-view.ts, audit/audit-record-schema.ts); a model call's answer is its
// dialect's, as the upstream (or the translation) wrote it, so only what every such answer carries
// is said, every other field allowed.

const keyPreviewed = {
  id: "key_xDYWeRX4bIc-",
  name: "alice",
  tenant: "default",
  role: "user",
  models: ["gpt-*"],
  rpm: 60,
  tpm: null,
  budget_usd: null,
  key_preview: "mgw_LvXL…W0H9",
  status: "active",
  expires_at: null,
  revoked_at: null,
  created_at: "2026-12-05T18:18:20.815Z",
  last_used_at: null,
  chain: "key_xDYWeRX4bIc-",
};
const rotatedKey = {
  ...keyPreviewed,
  id: "key_RGn7xAs8VUPr",
  key_preview: "mgw_Of1T…6Ezn",
  created_at: "2026-12-05T18:30:02.104Z",
};

/** A loose object of `required` fields (the rest of a dialect's answer is allowed as it comes). */
const answer = (
  description: string,
  properties: Record<string, JsonSchema>,
  required = Object.keys(properties),
) => ({
  type: "object",
  description,
  properties,
  required,
});
const text = { type: "string" };
const count = { type: "integer", minimum: 0 };
const nullable = (type: string) => ({ type: [type, "null"] });

// Built with the document (this file is loaded with it alone): a start builds none of it.
const keyViewSchema = keyViewOf();

/** Each answer's schema (its name in `components.schemas`) and the example its operations show. */
export const ANSWERS = {
  KeyView: {
    schema: jsonSchemaOf(keyViewSchema),
    example: keyPreviewed,
  },
  CreatedKey: {
    schema: jsonSchemaOf(
      keyViewSchema.extend({
        key: z.string().meta({ description: "The plain key: in this answer only, never shown again" }),
      }),
    ),
    example: { ...keyPreviewed, key: "mgw_LvXL7BKd4zUxDhWUVxQujxxMvQW2TBBSbYPcDSOW0H9" },
  },
  RotatedKey: {
    schema: jsonSchemaOf(
      keyViewSchema.extend({
        key: z.string().meta({ description: "The new plain key: in this answer only" }),
        previous: keyViewSchema.meta({ description: "The key it replaces, valid until its `expires_at`" }),
      }),
    ),
    example: {
      ...rotatedKey,
      key: "mgw_Of1TqgllnXP8dHGCOenC2zmmOExbEjrSWbl0WNs6Ezn",
      previous: { ...keyPreviewed, expires_at: "2026-12-05T18:40:02.104Z" },
    },
  },
  RevokedKey: {
    schema: jsonSchemaOf(
      keyViewSchema.extend({
        revoked: z
          .array(keyViewSchema)
          .meta({ description: "Every key this revoked (by name: each active one)" }),
      }),
    ),
    example: {
      ...keyPreviewed,
      status: "revoked",
      revoked_at: "2026-12-05T19:02:11.500Z",
      revoked: [{ ...keyPreviewed, status: "revoked", revoked_at: "2026-12-05T19:02:11.500Z" }],
    },
  },
  KeyPage: {
    schema: jsonSchemaOf(
      z.object({
        keys: z.array(keyViewSchema),
        nextCursor: z.string().nullable().meta({ description: "Null on the last page" }),
      }),
    ),
    example: { keys: [keyPreviewed], nextCursor: null },
  },
  AuditPage: {
    schema: jsonSchemaOf(
      z.object({
        records: z.array(auditRecordSchema),
        nextCursor: z.string().nullable().meta({ description: "Null on the last page" }),
      }),
    ),
    example: {
      records: [
        {
          requestId: "req_01a2476db2b17e64952b587998ab3047",
          startedAt: 1796494701233,
          keyId: "key_xDYWeRX4bIc-",
          keyName: "alice",
          tenant: "default",
          role: "user",
          frontDoor: "chat",
          model: "gpt-4o-mini",
          route: "provider:openai",
          upstreamModel: "gpt-4o-mini",
          status: 200,
          errorClass: null,
          stream: false,
          latencyMs: 412.5,
          ttfbMs: 411.9,
          inputTokens: 12,
          outputTokens: 30,
          costUsd: 0.0000198,
          clientIp: "10.0.4.17",
          userAgent: "OpenAI/Python 1.99.9",
        },
      ],
      nextCursor: "WzE3OTY0OTQ3MDEyMzMsNl0",
    },
  },
  Status: {
    schema: answer("The gateway's state", {
      release: text,
      workers: count,
      draining: { type: "boolean" },
      inFlight: count,
      config: {
        type: "object",
        properties: {
          version: count,
          path: nullable("string"),
          lastReloadError: nullable("string"),
          restartRequired: { type: "array", items: text },
        },
        required: ["version", "path", "lastReloadError", "restartRequired"],
      },
      audit: { type: "object", properties: { healthy: { type: "boolean" } }, required: ["healthy"] },
    }),
    example: {
      release: "0.1.0+69277e6c",
      workers: 0,
      draining: false,
      inFlight: 1,
      config: {
        version: 1,
        path: "mindgw.yaml",
        lastReloadError: null,
        restartRequired: [],
        lastEvent: null,
      },
      audit: { healthy: true },
    },
  },
  WorkerList: {
    schema: answer("The connected workers", {
      workers: {
        type: "array",
        items: answer(
          "A connected worker",
          {
            id: text,
            name: text,
            tenant: text,
            models: { type: "array", items: text },
            inFlight: count,
            capacity: count,
            labels: { type: "object", additionalProperties: text },
            lastHeartbeatAt: { type: "number" },
            draining: { type: "boolean" },
          },
          ["id", "name", "models", "inFlight", "capacity"],
        ),
      },
    }),
    example: {
      workers: [
        {
          id: "wrk_5f2c",
          name: "gpu-a",
          tenant: "default",
          models: ["llama-3.1-8b"],
          inFlight: 2,
          capacity: 8,
          labels: { zone: "eu-1" },
          lastHeartbeatAt: 1796494707000,
          draining: false,
        },
      ],
    },
  },
  Routing: {
    schema: answer("The resolved routing table", {
      config: {
        type: "object",
        properties: { path: nullable("string"), version: count },
        required: ["path", "version"],
      },
      models: {
        type: "array",
        items: answer("A model and its routes", { name: text, routes: { type: "array" } }),
      },
      providers: {
        type: "array",
        items: answer("A provider, its secrets redacted", { name: text, type: text }),
      },
      prices: { type: "object" },
      workerModels: { type: "array" },
    }),
    example: {
      config: { path: "mindgw.yaml", version: 1 },
      models: [
        {
          name: "gpt-4o-mini",
          aliases: [],
          strategy: "priority",
          allow_unpriced: false,
          fallback_on: [],
          routes: [
            {
              provider: "openai",
              model: "gpt-4o-mini",
              weight: 1,
              health: { open: false, inFlight: 0, latencyMs: 412.5 },
            },
          ],
        },
      ],
      providers: [
        {
          name: "openai",
          type: "openai",
          base_url: "https://api.openai.com/v1",
          api_key: "[redacted]",
          headers: {},
          anthropic_version: "2023-06-01",
        },
      ],
      prices: {},
      workerModels: [],
    },
  },
  DeletedResponse: {
    schema: answer("The stored response is gone", {
      id: text,
      object: { const: "response" },
      deleted: { const: true },
    }),
    example: {
      id: "resp_9e653220526aea9e484f81c08acd5a175059681f5aacf778",
      object: "response",
      deleted: true,
    },
  },
  Health: {
    schema: answer("Alive", { status: { const: "ok" } }),
    example: { status: "ok" },
  },
  Ready: {
    schema: answer("Ready to serve, on this config version", {
      status: { const: "ready" },
      config: { type: "object", properties: { version: count }, required: ["version"] },
    }),
    example: { status: "ready", config: { version: 1 } },
  },
  ChatCompletion: {
    schema: answer("OpenAI's chat completion, as the upstream (or the translation) wrote it", {
      id: text,
      object: { const: "chat.completion" },
      model: text,
      choices: { type: "array" },
    }),
    example: {
      id: "chatcmpl-829c78742be94012a1988700",
      object: "chat.completion",
      created: 1796494707,
      model: "gpt-4o-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello!", refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    },
  },
  Completion: {
    schema: answer("OpenAI's legacy completion", {
      id: text,
      object: { const: "text_completion" },
      model: text,
      choices: { type: "array" },
    }),
    example: {
      id: "cmpl-98f0b807e5b64ba58171d15c",
      object: "text_completion",
      created: 1796494707,
      model: "gpt-4o-mini",
      choices: [{ text: " there was a gateway.", index: 0, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 },
    },
  },
  Embeddings: {
    schema: answer("OpenAI's embeddings", {
      object: { const: "list" },
      data: { type: "array" },
      model: text,
    }),
    example: {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [-0.0247, 0.0534, -0.018] }],
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 2, total_tokens: 2 },
    },
  },
  Response: {
    schema: answer("OpenAI's Responses API response", {
      id: text,
      object: { const: "response" },
      status: text,
      model: text,
      output: { type: "array" },
    }),
    example: {
      id: "resp_9e653220526aea9e484f81c08acd5a175059681f5aacf778",
      object: "response",
      created_at: 1796494707,
      status: "completed",
      model: "gpt-4o-mini",
      output: [
        {
          id: "msg_9e653220526aea9e484f81c08acd5a175059681f5aacf778",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Gateways hum softly", annotations: [] }],
        },
      ],
      usage: { input_tokens: 8, output_tokens: 5, total_tokens: 13 },
    },
  },
  Message: {
    schema: answer("Anthropic's message, as the upstream (or the translation) wrote it", {
      id: text,
      type: { const: "message" },
      role: { const: "assistant" },
      model: text,
      content: { type: "array" },
    }),
    example: {
      id: "msg_ade7ddfbd36740b9af4a4929",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hello!" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 9, output_tokens: 3 },
    },
  },
  TokenCount: {
    schema: answer("Anthropic's token count", { input_tokens: count }),
    example: { input_tokens: 14 },
  },
} satisfies Record<string, { schema: JsonSchema; example: unknown }>;

export type AnswerName = keyof typeof ANSWERS;

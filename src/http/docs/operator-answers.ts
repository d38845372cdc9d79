import { z } from "zod";
import { auditRecordSchema } from "../../audit/audit-record-schema.ts";
import { type Answer, answer, count, nullable, text } from "./answer-shape.ts";
import { jsonSchemaOf } from "./json-schema.ts";

/** The operator's answers: the admin API's audit page, state, workers and routing, and the health checks. */
export const OPERATOR_ANSWERS = {
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
            ejectedUntil: { type: "number", description: "out of rotation until then (epoch ms)" },
          },
          ["id", "name", "models", "inFlight", "capacity"],
        ),
      },
      heartbeatMs: { ...count, description: "how often a worker's heartbeat is due" },
      heartbeatTimeoutMs: {
        ...count,
        description: "how long the gateway waits for a worker's sign of life before it removes it",
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
      heartbeatMs: 10000,
      heartbeatTimeoutMs: 30000,
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
} satisfies Record<string, Answer>;

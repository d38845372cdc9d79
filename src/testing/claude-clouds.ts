import { afterAll, beforeAll } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { ProviderConfig } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { createProvider } from "../providers/create-provider.ts";
import { vertexEndpoint } from "../providers/google/gemini-provider.ts";
import { createVertexAnthropicProvider } from "../providers/google/vertex-anthropic-provider.ts";
import { recordingGateway } from "./recording-gateway.ts";

// What the tests of the gateway's Claude refusals share (test support, not shipped): one fake
// upstream on loopback serving Claude as each cloud does — Anthropic's API, Vertex AI's rawPredict,
// Bedrock's InvokeModel, Converse and CountTokens — answering as the test judges Claude would, a
// gateway with a provider on each, and the official OpenAI and Anthropic SDKs in front of it
// (forced-tool-refused, manual-thinking-refused, converse-thinking-off tests).

/** A provider of each cloud, by name: Anthropic's API, Vertex AI, Bedrock InvokeModel, Bedrock Converse. */
export type ClaudeCloud = "an" | "vx" | "bi" | "bc";

/** How the fake upstream answers: the test's own judgement of Claude's, per kind of call; 404 unset. */
export interface ClaudeUpstream {
  /** A Messages body on `cloud` ("an", "vx", "bi"), or a count on Anthropic's API ("an-count"). */
  messages?(cloud: string, model: string, body: JsonObject): Response;
  /** A Converse body to `model`. */
  converse?(model: string, body: JsonObject): Response;
  /** A Bedrock CountTokens body for `model`. */
  countTokens?(model: string, body: JsonObject): Response;
}

/** A model of the gateway's config: its name and routes (provider names of `ClaudeCloud`). */
export interface CloudModel {
  readonly name: string;
  readonly routes: readonly { readonly provider: ClaudeCloud; readonly model: string }[];
}

/** `claude`'s name on `cloud`: Bedrock's is the US inference profile's, `us.anthropic.` and Anthropic's. */
export const onCloud = (cloud: string, claude: string): string =>
  cloud === "bi" || cloud === "bc" ? `us.anthropic.${claude}` : claude;

/** A model per cloud and Claude, named `<cloud>-<claude>`, routed to that cloud alone. */
export const perCloud = (clouds: readonly ClaudeCloud[], claudes: readonly string[]): CloudModel[] =>
  clouds.flatMap((cloud) =>
    claudes.map((claude) => ({
      name: `${cloud}-${claude}`,
      routes: [{ provider: cloud, model: onCloud(cloud, claude) }],
    })),
  );

/** What `call` was refused with, or undefined when it was answered. */
export const refusal = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => undefined,
    (e: unknown) => e,
  );

/** The gateway's callers, and each finished request's audit row. */
export interface ClaudeClouds {
  /** The official OpenAI SDK on the gateway as its admin, no retries of its own. */
  openai(): OpenAI;
  /** The official Anthropic SDK likewise. */
  anthropic(): Anthropic;
  /** Every finished request's audit row, in the order they ended. */
  readonly finished: readonly AuditRecord[];
}

const VERTEX = /\/publishers\/anthropic\/models\/([^/:]+):rawPredict$/;
const BEDROCK = /^\/model\/([^/]+)\/(invoke|converse|count-tokens)$/;

/** The upstream's answer to `path` with `body`, by the handler `upstream` has for it. */
function answered(upstream: ClaudeUpstream, path: string, body: JsonObject): Response | undefined {
  if (path === "/v1/messages") return upstream.messages?.("an", String(body.model), body);
  if (path === "/v1/messages/count_tokens") return upstream.messages?.("an-count", String(body.model), body);
  const vertex = VERTEX.exec(path);
  if (vertex) return upstream.messages?.("vx", vertex[1] ?? "", body);
  const [, model = "", kind] = BEDROCK.exec(path) ?? [];
  if (kind === "invoke") return upstream.messages?.("bi", model, body);
  if (kind === "converse") return upstream.converse?.(model, body);
  if (kind === "count-tokens") return upstream.countTokens?.(model, body);
  return undefined;
}

/**
 * The fake upstream answering as `upstream` says, and a gateway (no retries) serving `models` on
 * it, started before the file's tests and stopped after them. Read it from the tests only.
 */
export function claudeClouds(upstream: ClaudeUpstream, models: readonly CloudModel[]): ClaudeClouds {
  let server: ReturnType<typeof Bun.serve> | undefined;
  let gateway: Gateway | undefined;
  let finished: readonly AuditRecord[] = [];
  let base = "";
  let key = "";

  beforeAll(async () => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const path = decodeURIComponent(new URL(request.url).pathname);
        const body = (await request.json()) as JsonObject;
        return (
          answered(upstream, path, body) ?? Response.json({ message: `no route ${path}` }, { status: 404 })
        );
      },
    });
    const at = `http://127.0.0.1:${server.port}`;
    const aws = { access_key_id: "AKIATEST", secret_access_key: "secret" };
    // Vertex AI's endpoint on the fake, with a token that needs no Google account.
    const token = { get: async () => "token", invalidate: () => false };
    const vertex = createVertexAnthropicProvider({
      name: "vx",
      endpoint: vertexEndpoint("acme", "us-east5", at, token, "anthropic"),
    });
    const built = await recordingGateway(
      parseConfig({
        storage: { path: ":memory:" },
        routing: { retries: 0 },
        providers: [
          { name: "an", type: "anthropic", base_url: at, api_key: "k" },
          {
            name: "vx",
            type: "vertex",
            publisher: "anthropic",
            project: "acme",
            location: "us-east5",
            service_account: "/none.json",
          },
          { name: "bi", type: "bedrock", publisher: "anthropic", region: "us-east-1", base_url: at, aws },
          { name: "bc", type: "bedrock", region: "us-east-1", base_url: at, aws },
        ],
        models,
      }),
      undefined,
      {
        providers: (config, context) =>
          config.name === "vx" ? vertex : createProvider(config as ProviderConfig, context),
      },
    );
    gateway = built.gateway;
    finished = built.finished;
    key = built.adminKey;
    base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  });

  afterAll(async () => {
    await gateway?.stop();
    server?.stop(true);
  });

  return {
    openai: () => new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 }),
    anthropic: () => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 }),
    get finished() {
      return finished;
    },
  };
}

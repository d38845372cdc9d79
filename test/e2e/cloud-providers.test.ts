import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import OpenAI from "openai";
import { estimateInputTokens } from "../../src/translate/anthropic-to-openai/count-tokens-estimate.ts";
import { jsonFixture } from "../../src/translate/fixtures/load-fixture.ts";
import { wordsIn } from "../fake-cloud/count-wire.ts";
import { vectorOf, wordsOf } from "../fake-cloud/embedding-wire.ts";
import { type FakeCloud, startFakeCloud } from "../fake-cloud/fake-cloud.ts";
import { type GeminiContents, THOUGHT_SIGNATURE } from "../fake-cloud/gemini-wire.ts";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { auditRow } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// The cloud provider types (azure, bedrock, gemini, vertex) through the compiled binary, against
// fakes of each vendor's wire format that check credentials the way the vendor does (SigV4
// recomputed, service-account JWTs verified, api-version required), from both official SDKs.

const AWS = { accessKeyId: "AKIAFAKESTATIC", secretAccessKey: "static-secret-key", region: "eu-west-1" };
const ENTRA = { tenant: "contoso-tenant", clientId: "mindgw-app", clientSecret: "entra-secret" };
const WEB_IDENTITY_TOKEN = "eyJ.fake-web-identity.token";

let cloud: FakeCloud;
/** The upstream serving OpenAI's Responses API, answering what a test queued. */
let native: CannedUpstream;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** What Claude Code 2.1.328 sends in `anthropic-beta` on every request (its recorded request). */
const CLAUDE_CODE_BETAS = String(
  (jsonFixture("clients/claude-code-2.1.328-default.json").headers as Record<string, string>)[
    "anthropic-beta"
  ],
).split(",");

const CLIENT_EMAIL = "mindgw@project-1.iam.gserviceaccount.com";
let privateKeyPem = "";

const fx = gatewayFixture<FakeCloud>({
  fake: async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    privateKeyPem = await exportPKCS8(privateKey);
    return startFakeCloud({
      azureKey: "azure-static-key",
      entra: ENTRA,
      aws: AWS,
      webIdentityToken: WEB_IDENTITY_TOKEN,
      containerToken: "container-auth",
      geminiKey: "gemini-key",
      google: { clientEmail: CLIENT_EMAIL, publicKeyPem: await exportSPKI(publicKey) },
      // Shorter than the refresh margin: every call needs a fresh token, so refresh is exercised.
      tokenLifetime: 1,
    });
  },
  env: async ({ dir, fake: cloud }) => {
    const tokenFile = `${dir}/web-identity-token`;
    await Bun.write(tokenFile, WEB_IDENTITY_TOKEN);
    return {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/mindgw",
      AWS_ENDPOINT_URL_STS: `${cloud.url}/sts`,
    };
  },
  fakeRoutes: false,
  config: (_cloudUrl, { fake: cloud, own }) => {
    native = own(startCannedUpstream());
    const serviceAccount = JSON.stringify({
      type: "service_account",
      client_email: CLIENT_EMAIL,
      private_key: privateKeyPem,
      private_key_id: "key-1",
      token_uri: `${cloud.url}/google/token`,
    });
    return {
      providers: [
        {
          name: "az",
          type: "azure",
          base_url: cloud.url,
          api_key: "azure-static-key",
          api_version: "2024-10-21",
        },
        {
          name: "az-entra",
          type: "azure",
          base_url: cloud.url,
          api_version: "v1",
          entra: {
            tenant_id: ENTRA.tenant,
            client_id: ENTRA.clientId,
            client_secret: ENTRA.clientSecret,
            authority_host: cloud.url,
          },
        },
        {
          name: "br",
          type: "bedrock",
          region: AWS.region,
          base_url: cloud.url,
          aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey },
        },
        { name: "br-web", type: "bedrock", region: AWS.region, base_url: cloud.url },
        {
          name: "br-claude",
          type: "bedrock",
          publisher: "anthropic",
          region: AWS.region,
          base_url: cloud.url,
          aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey },
        },
        { name: "gm", type: "gemini", base_url: `${cloud.url}/v1beta`, api_key: "gemini-key" },
        // OpenAI's Responses API, served upstream itself (a native route).
        { name: "oa", type: "openai", base_url: `${native.url}/v1`, api_key: "sk-oa", responses_api: true },
        { name: "gm-stale", type: "gemini", base_url: `${cloud.url}/v1beta`, api_key: "revoked-key" },
        {
          name: "vx-claude",
          type: "vertex",
          publisher: "anthropic",
          project: "project-1",
          location: "us-east5",
          base_url: cloud.url,
          service_account: serviceAccount,
        },
        {
          name: "vx",
          type: "vertex",
          project: "project-1",
          location: "us-central1",
          base_url: cloud.url,
          service_account: serviceAccount,
        },
      ],
      models: [
        { name: "azure-4o", routes: [{ provider: "az", model: "gpt4o-deployment" }] },
        { name: "azure-v1", routes: [{ provider: "az-entra", model: "gpt-4o-mini" }] },
        {
          name: "claude-bedrock",
          routes: [{ provider: "br", model: "anthropic.claude-3-5-sonnet-20240620-v1:0" }],
        },
        { name: "nova", routes: [{ provider: "br-web", model: "amazon.nova-lite-v1:0" }] },
        { name: "gemini-flash", routes: [{ provider: "gm", model: "gemini-2.5-flash" }] },
        { name: "gemini-3-flash", routes: [{ provider: "gm", model: "gemini-3-flash-preview" }] },
        { name: "gemini-3-pro", routes: [{ provider: "vx", model: "gemini-3-pro-preview" }] },
        { name: "gemini-3.8-flash", routes: [{ provider: "gm", model: "gemini-3.8-flash" }] },
        { name: "native-responses", routes: [{ provider: "oa", model: "gpt-5" }] },
        { name: "vertex-flash", routes: [{ provider: "vx", model: "gemini-2.5-flash" }] },
        { name: "gemini-stale-key", routes: [{ provider: "gm-stale", model: "gemini-2.5-flash" }] },
        {
          name: "stale-gemini-then-azure",
          routes: [
            { provider: "gm-stale", model: "gemini-2.5-flash" },
            { provider: "az", model: "gpt4o-deployment" },
          ],
        },
        {
          name: "bedrock-then-gemini",
          routes: [
            { provider: "br", model: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
            { provider: "gm", model: "gemini-2.5-flash" },
          ],
        },
        {
          name: "long-context",
          fallback_on: ["context_length"],
          routes: [
            { provider: "br", model: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
            { provider: "gm", model: "gemini-2.5-flash" },
          ],
        },
        {
          name: "claude-on-bedrock",
          routes: [{ provider: "br-claude", model: "anthropic.claude-sonnet-4-5-20250929-v1:0" }],
        },
        { name: "claude-vertex", routes: [{ provider: "vx-claude", model: "claude-sonnet-4-5@20250929" }] },
        {
          name: "claude-vertex-shadowed",
          routes: [{ provider: "vx-claude", model: "claude-sonnet-4-5@20250929" }],
          shadow: { provider: "vx-claude", model: "claude-haiku-4-5@20251001", sample: 1 },
        },
        { name: "titan-embed", routes: [{ provider: "br", model: "amazon.titan-embed-text-v2:0" }] },
        { name: "cohere-embed", routes: [{ provider: "br", model: "cohere.embed-english-v3" }] },
        { name: "gemini-embed", routes: [{ provider: "gm", model: "gemini-embedding-001" }] },
        { name: "vertex-embed", routes: [{ provider: "vx", model: "text-embedding-005" }] },
        { name: "vertex-gemini-embed", routes: [{ provider: "vx", model: "gemini-embedding-001" }] },
        {
          name: "tight",
          routes: [
            { provider: "br", model: "amazon.nova-micro-v1:0", context_window: 50 },
            { provider: "gm", model: "gemini-2.5-flash" },
          ],
        },
      ],
      // Many refusals of a route in a row here (401, 403, 404 count towards its breaker), and none
      // may take it out for the tests after.
      routing: { retries: 0, circuit_breaker: { failures: 1000 } },
    };
  },
});

beforeAll(async () => {
  ({ fake: cloud, gw } = fx);
  if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: gw.adminKey, maxRetries: 0 });
});

const MODELS = ["azure-4o", "azure-v1", "claude-bedrock", "nova", "gemini-flash", "vertex-flash"] as const;
const VENDOR: Record<(typeof MODELS)[number], string> = {
  "azure-4o": "azure",
  "azure-v1": "azure",
  "claude-bedrock": "bedrock",
  nova: "bedrock",
  "gemini-flash": "gemini",
  "vertex-flash": "vertex",
};

const lastModelCall = () => cloud.requests.findLast((r) => !/token|sts|credentials/.test(r.path));
const callsTo = (pattern: RegExp) => cloud.requests.filter((r) => pattern.test(r.path));

describe.each(MODELS)("%s through the OpenAI SDK", (model) => {
  test("answers, with usage", async () => {
    const reply = await openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi there" }],
    });
    expect(reply.choices[0]?.message.content).toBe(`Hello from ${VENDOR[model]}. You said: hi there`);
    expect(reply.choices[0]?.finish_reason).toBe("stop");
    expect(reply.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
  });

  test("the call upstream carries the caller's traceparent, its tracestate and the request id", async () => {
    // Tracing is unset here, so the caller's own `traceparent` and `tracestate` go on unchanged
    // (OBSERVABILITY.md); on Bedrock added after signing, as the fake checks the signature.
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const tracestate = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
    const { response } = await openai.chat.completions
      .create(
        { model, messages: [{ role: "user", content: "trace me" }] },
        { headers: { traceparent, tracestate } },
      )
      .withResponse();
    const seen = lastModelCall();
    expect(seen?.headers.traceparent).toBe(traceparent);
    expect(seen?.headers.tracestate).toBe(tracestate);
    expect(seen?.headers["x-request-id"]).toBe(response.headers.get("x-request-id") ?? "no id answered");
  });

  test("streams, ending with usage when asked", async () => {
    const stream = await openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "stream me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let deltas = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        deltas += 1;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(`Hello from ${VENDOR[model]}. You said: stream me`);
    expect(deltas).toBeGreaterThan(1);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  test("calls a tool, and takes its result back", async () => {
    const first = await openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "use a tool for the weather" }],
      tools: [WEATHER],
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    const second = await openai.chat.completions.create({
      model,
      tools: [WEATHER],
      messages: [
        { role: "user", content: "use a tool for the weather" },
        { role: "assistant", content: null, tool_calls: first.choices[0]?.message.tool_calls ?? [] },
        { role: "tool", tool_call_id: call?.id ?? "", content: '{"temp_c": 18}' },
        { role: "user", content: "thanks" },
      ],
    });
    expect(second.choices[0]?.message.content).toContain("thanks");
  });
});

test("a reply the gateway writes names the model as the client asked, whole, streamed and embedded (CLIENTS.md)", async () => {
  for (const model of ["claude-bedrock", "nova", "gemini-flash", "vertex-flash"]) {
    const ask = { model, messages: [{ role: "user" as const, content: "name" }] };
    expect((await openai.chat.completions.create(ask)).model).toBe(model);
    const stream = await openai.chat.completions.create({ ...ask, stream: true });
    for await (const chunk of stream) expect(chunk.model).toBe(model);
  }
  for (const model of ["titan-embed", "gemini-embed", "vertex-embed"])
    expect((await openai.embeddings.create({ model, input: "x" })).model).toBe(model);
});

describe("what reaches each cloud", () => {
  test("azure: the route's model is the deployment, api-version in the query, api-key header", async () => {
    await openai.chat.completions.create({ model: "azure-4o", messages: [{ role: "user", content: "x" }] });
    const seen = lastModelCall();
    expect(seen?.path).toBe("/openai/deployments/gpt4o-deployment/chat/completions");
    expect(seen?.query).toBe("?api-version=2024-10-21");
    expect(seen?.headers["api-key"]).toBe("azure-static-key");
    expect(seen?.headers.authorization).toBeUndefined();
  });

  test("azure v1 with Entra ID: a bearer token from the client credentials flow, refreshed when it expires", async () => {
    const before = cloud.issued.entra;
    await openai.chat.completions.create({ model: "azure-v1", messages: [{ role: "user", content: "x" }] });
    const first = lastModelCall()?.headers.authorization;
    await openai.chat.completions.create({ model: "azure-v1", messages: [{ role: "user", content: "x" }] });
    const second = lastModelCall();
    expect(second?.path).toBe("/openai/v1/chat/completions");
    expect(JSON.parse(second?.body ?? "{}").model).toBe("gpt-4o-mini");
    expect(first).toMatch(/^Bearer entra-token-\d+$/);
    expect(second?.headers.authorization).not.toBe(first);
    expect(cloud.issued.entra).toBe(before + 2);
  });

  test("bedrock: SigV4-signed Converse call to /model/{id}/converse, the model id encoded", async () => {
    await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "x" }],
    });
    const seen = lastModelCall();
    expect(seen?.path).toBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    expect(seen?.headers.authorization).toStartWith(`AWS4-HMAC-SHA256 Credential=${AWS.accessKeyId}/`);
    expect(JSON.parse(seen?.body ?? "{}")).toEqual({
      messages: [{ role: "user", content: [{ text: "x" }] }],
    });
  });

  test("bedrock with a web identity: temporary keys from STS, with their session token", async () => {
    const before = cloud.issued.sts;
    await openai.chat.completions.create({ model: "nova", messages: [{ role: "user", content: "x" }] });
    const seen = lastModelCall();
    expect(cloud.issued.sts).toBeGreaterThan(before);
    expect(seen?.headers.authorization).toContain("Credential=ASIASTS");
    expect(seen?.headers["x-amz-security-token"]).toMatch(/^session-sts-\d+$/);
  });

  test("vertex: a service-account JWT exchanged for a bearer token; gemini: x-goog-api-key", async () => {
    const before = cloud.issued.google;
    await openai.chat.completions.create({
      model: "vertex-flash",
      messages: [{ role: "user", content: "x" }],
    });
    const vertex = lastModelCall();
    expect(vertex?.path).toBe(
      "/v1/projects/project-1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
    );
    expect(vertex?.headers.authorization).toMatch(/^Bearer google-token-\d+$/);
    expect(cloud.issued.google).toBeGreaterThan(before);
    await openai.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    const gemini = lastModelCall();
    expect(gemini?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(gemini?.query).toBe("?alt=sse");
    expect(gemini?.headers["x-goog-api-key"]).toBe("gemini-key");
  });
});

describe("the Anthropic SDK on cloud routes (messages → chat → vendor)", () => {
  test.each(["claude-bedrock", "gemini-flash", "azure-4o"] as const)(
    "%s answers and streams",
    async (model) => {
      const reply = await anthropic.messages.create({
        model,
        max_tokens: 100,
        system: "be brief",
        messages: [{ role: "user", content: "hello" }],
      });
      expect(reply.content[0]?.type === "text" && reply.content[0].text).toBe(
        `Hello from ${VENDOR[model]}. You said: hello`,
      );
      expect(reply.stop_reason).toBe("end_turn");
      const stream = anthropic.messages.stream({
        model,
        max_tokens: 100,
        messages: [{ role: "user", content: "again" }],
      });
      const final = await stream.finalMessage();
      expect(final.content[0]?.type === "text" && final.content[0].text).toBe(
        `Hello from ${VENDOR[model]}. You said: again`,
      );
      expect(final.usage.output_tokens).toBeGreaterThan(0);
    },
  );

  test("what the vendor step cannot take is named in the Anthropic caller's words, in x-mindgw-dropped and the audit row", async () => {
    const before = callsTo(/\/converse$/).length;
    const { response } = await anthropic.messages
      .create({
        model: "claude-bedrock",
        max_tokens: 2048,
        thinking: { type: "enabled", budget_tokens: 1024 },
        metadata: { user_id: "user-7" },
        tools: [{ name: "get_weather", input_schema: { type: "object", properties: {} } }],
        tool_choice: { type: "none" },
        messages: [{ role: "user", content: "hello" }],
      })
      .withResponse();
    const named = "metadata.user_id, thinking, tool_choice.none";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row.dropped).toBe(named);
    const sent = JSON.parse(callsTo(/\/converse$/).slice(before)[0]?.body ?? "{}");
    expect(sent.additionalModelRequestFields).toBeUndefined();
    // Gemini takes thinking (as a budget): only the user id is named there.
    const { response: gemini } = await anthropic.messages
      .create({
        model: "gemini-flash",
        max_tokens: 2048,
        thinking: { type: "enabled", budget_tokens: 1024 },
        metadata: { user_id: "user-7" },
        messages: [{ role: "user", content: "hello" }],
      })
      .withResponse();
    expect(gemini.headers.get("x-mindgw-dropped")).toBe("metadata.user_id");
  });

  test("a tool call through Bedrock comes back as tool_use", async () => {
    const reply = await anthropic.messages.create({
      model: "claude-bedrock",
      max_tokens: 100,
      tools: [
        { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      ],
      messages: [{ role: "user", content: "use a tool please" }],
    });
    expect(reply.stop_reason).toBe("tool_use");
    const block = reply.content.find((b) => b.type === "tool_use");
    expect(block?.type === "tool_use" && block.input).toEqual({ city: "Paris" });
  });
});

describe("Gemini 3's signed tool calls: a two-turn tool loop from every front door", () => {
  const ASK = "use a tool for the weather";
  /** The signature on the model turn's call in the last request the fake answered. */
  const signatureSentBack = () => {
    const sent = JSON.parse(lastModelCall()?.body ?? "{}") as GeminiContents;
    return sent.contents.find((c) => c.role === "model")?.parts.find((p) => p.functionCall)?.thoughtSignature;
  };

  test.each(["gemini-flash", "vertex-flash"] as const)(
    "%s through the OpenAI SDK, the tool's result the last message",
    async (model) => {
      const first = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: ASK }],
        tools: [WEATHER],
      });
      const again = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: ASK }],
        tools: [WEATHER],
      });
      const calls = first.choices[0]?.message.tool_calls ?? [];
      // Each call an id of its own: Anthropic refuses a conversation with one id twice.
      expect(calls[0]?.id).not.toBe(again.choices[0]?.message.tool_calls?.[0]?.id);
      const second = await openai.chat.completions.create({
        model,
        tools: [WEATHER],
        messages: [
          { role: "user", content: ASK },
          { role: "assistant", content: null, tool_calls: calls },
          { role: "tool", tool_call_id: calls[0]?.id ?? "", content: '{"temp_c": 18}' },
        ],
      });
      expect(second.choices[0]?.finish_reason).toBe("stop");
      expect(signatureSentBack()).toBe(THOUGHT_SIGNATURE);
    },
  );

  test("gemini-flash through the Anthropic SDK (Claude Code on a Gemini route), streamed", async () => {
    const tools = [
      {
        name: "get_weather",
        input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
      },
    ];
    const first = await anthropic.messages
      .stream({ model: "gemini-flash", max_tokens: 100, tools, messages: [{ role: "user", content: ASK }] })
      .finalMessage();
    const use = first.content.find((block) => block.type === "tool_use");
    expect(use?.id).toMatch(/^[a-zA-Z0-9_-]+$/);
    const second = await anthropic.messages.create({
      model: "gemini-flash",
      max_tokens: 100,
      tools,
      messages: [
        { role: "user", content: ASK },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use?.id ?? "", content: "sunny" }] },
      ],
    });
    expect(second.stop_reason).toBe("end_turn");
    expect(signatureSentBack()).toBe(THOUGHT_SIGNATURE);
  });

  test("vertex-flash through the Responses API", async () => {
    const tools = [
      {
        type: "function" as const,
        name: "get_weather",
        parameters: WEATHER.function.parameters,
        strict: false,
      },
    ];
    const first = await openai.responses.create({ model: "vertex-flash", input: ASK, tools });
    const call = first.output.find((item) => item.type === "function_call");
    const second = await openai.responses.create({
      model: "vertex-flash",
      tools,
      input: [
        { role: "user", content: ASK },
        ...(call
          ? [call, { type: "function_call_output" as const, call_id: call.call_id, output: "sunny" }]
          : []),
      ],
    });
    expect(second.status).toBe("completed");
    expect(signatureSentBack()).toBe(THOUGHT_SIGNATURE);
  });
});

describe("a Gemini turn's signed tool-call ids on another vendor's route (40 characters at most)", () => {
  const ASK = "use a tool for the weather";
  /** A Gemini turn's tool call (its id carrying the signature), and the turn after it on `model`. */
  async function nextTurnOn(model: string, steering: Record<string, string> = {}) {
    const first = await openai.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: ASK }],
      tools: [WEATHER],
    });
    const calls = first.choices[0]?.message.tool_calls ?? [];
    const signed = calls[0]?.id ?? "";
    expect(signed.length).toBeGreaterThan(40);
    const second = await openai.chat.completions.create({
      model,
      ...steering,
      tools: [WEATHER],
      messages: [
        { role: "user", content: ASK },
        { role: "assistant", content: null, tool_calls: calls },
        { role: "tool", tool_call_id: signed, content: '{"temp_c": 18}' },
      ],
    });
    return { signed, second, sent: JSON.parse(lastModelCall()?.body ?? "{}") };
  }
  const plain = (signed: string) => signed.slice(0, signed.indexOf("__ts_"));
  /** A Messages caller's tool call answered by Gemini (its id signed), then the next turn on `model`. */
  async function messagesNextTurnOn(model: string) {
    const tools = [{ name: "get_weather", input_schema: { type: "object" as const, properties: {} } }];
    const first = await anthropic.messages.create({
      model: "gemini-flash",
      max_tokens: 100,
      tools,
      messages: [{ role: "user", content: ASK }],
    });
    const use = first.content.find((block) => block.type === "tool_use");
    const signed = use?.id ?? "";
    expect(signed).toContain("__ts_");
    const second = await anthropic.messages.create({
      model,
      max_tokens: 100,
      tools,
      messages: [
        { role: "user", content: ASK },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: signed, content: "sunny" }] },
      ],
    });
    expect(second.type).toBe("message");
    return { signed, sent: JSON.parse(lastModelCall()?.body ?? "{}") };
  }

  test.each(["azure-4o", "stale-gemini-then-azure"] as const)(
    "%s (OpenAI's chat, passed through as received): call and result get the plain id",
    async (model) => {
      // Answered: the fake refuses an id over 40 characters as OpenAI and Azure do (a 400 thrown).
      const { signed, second, sent } = await nextTurnOn(model);
      expect(second.choices).toHaveLength(1);
      const call = sent.messages[1].tool_calls[0].id;
      expect(call.length).toBeLessThanOrEqual(40);
      expect([call, sent.messages[2].tool_call_id]).toEqual([plain(signed), plain(signed)]);
    },
  );

  test("nova (Bedrock Converse): toolUse and toolResult get the plain id", async () => {
    const { signed, second, sent } = await nextTurnOn("nova");
    expect(second.choices[0]?.finish_reason).toBe("stop");
    const use = sent.messages[1].content.find((b: { toolUse?: object }) => b.toolUse).toolUse.toolUseId;
    const result = sent.messages[2].content[0].toolResult.toolUseId;
    expect(use.length).toBeLessThanOrEqual(40);
    expect([use, result]).toEqual([plain(signed), plain(signed)]);
  });

  test("a Messages caller (Claude Code) moved to azure-4o: translated to chat with the plain id", async () => {
    const { signed, sent } = await messagesNextTurnOn("azure-4o");
    expect([sent.messages[1].tool_calls[0].id, sent.messages[2].tool_call_id]).toEqual([
      plain(signed),
      plain(signed),
    ]);
  });
  test("a steered call (custom_llm_provider, serialised not spliced) to azure-4o: the plain id", async () => {
    const { signed, sent } = await nextTurnOn("azure-4o", { custom_llm_provider: "azure" });
    expect(sent.custom_llm_provider).toBeUndefined();
    expect([sent.messages[1].tool_calls[0].id, sent.messages[2].tool_call_id]).toEqual([
      plain(signed),
      plain(signed),
    ]);
  });

  test("a Messages caller moved to Claude on Vertex (passed through): tool_use and tool_result get the plain id", async () => {
    const { signed, sent } = await messagesNextTurnOn("claude-vertex");
    const sentUse = sent.messages[1].content.find((b: { type: string }) => b.type === "tool_use");
    expect([sentUse.id, sent.messages[2].content[0].tool_use_id]).toEqual([plain(signed), plain(signed)]);
  });
});

describe("a Responses chain a Gemini route answered, continued by previous_response_id", () => {
  const tools = [
    {
      type: "function" as const,
      name: "get_weather",
      parameters: WEATHER.function.parameters,
      strict: false,
    },
  ];
  /** A stored Gemini turn that called a tool (its call_id signed), and the turn answering it on `model`. */
  async function continuedOn(model: string) {
    const first = await openai.responses.create({
      model: "gemini-flash",
      input: "use a tool for the weather",
      tools,
    });
    const callId = first.output.find((item) => item.type === "function_call")?.call_id ?? "";
    expect(callId).toContain("__ts_");
    const second = await openai.responses.create({
      model,
      previous_response_id: first.id,
      tools,
      input: [{ type: "function_call_output", call_id: callId, output: "sunny" }],
    });
    expect(second.status).toBe("completed");
    return callId;
  }

  test("on a route serving the Responses API itself: the chain inlined with its call_id plain, call and output a pair", async () => {
    native.queue({
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "resp_upstream_1",
        object: "response",
        status: "completed",
        model: "gpt-5",
        output: [
          {
            type: "message",
            id: "msg_upstream_1",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: "sunny it is" }],
          },
        ],
        usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 },
      }),
    });
    const signed = await continuedOn("native-responses");
    const plain = signed.slice(0, signed.indexOf("__ts_"));
    // OpenAI refuses a call_id over 64 characters (400 string_above_max_length).
    expect(plain.length).toBeLessThanOrEqual(64);
    const sent = JSON.parse(native.requests.at(-1)?.text ?? "{}");
    expect(sent.previous_response_id).toBeUndefined();
    const calls = (sent.input as { type: string; call_id?: string }[]).filter((item) => item.call_id);
    expect(calls.map((item) => [item.type, item.call_id])).toEqual([
      ["function_call", plain],
      ["function_call_output", plain],
    ]);
  });

  test("back on the Gemini route: the stored call goes with its thought signature", async () => {
    await continuedOn("gemini-flash");
    const sent = JSON.parse(lastModelCall()?.body ?? "{}") as GeminiContents;
    const call = sent.contents.find((c) => c.role === "model")?.parts.find((p) => p.functionCall);
    expect(call?.thoughtSignature).toBe(THOUGHT_SIGNATURE);
  });
});

describe("an effort reaches Gemini as its generation takes it: a thinkingLevel on Gemini 3, a thinkingBudget on 2.5", () => {
  const sentThinking = () => JSON.parse(lastModelCall()?.body ?? "{}").generationConfig?.thinkingConfig;

  test("an OpenAI caller's reasoning_effort, within the levels the model has", async () => {
    const sentFor = async (model: string, reasoning_effort: "minimal" | "low" | "medium") => {
      const reply = await openai.chat.completions.create({
        model,
        reasoning_effort,
        messages: [{ role: "user", content: "think" }],
      });
      expect(reply.choices[0]?.finish_reason).toBe("stop");
      return sentThinking();
    };
    expect(await sentFor("gemini-3-flash", "minimal")).toEqual({ thinkingLevel: "minimal" });
    // 3 Pro (on Vertex AI) has low and high alone.
    expect(await sentFor("gemini-3-pro", "minimal")).toEqual({ thinkingLevel: "low" });
    expect(await sentFor("gemini-3-pro", "medium")).toEqual({ thinkingLevel: "high" });
    expect(await sentFor("gemini-flash", "low")).toEqual({ thinkingBudget: 1024 });
  });

  test("a Responses caller's reasoning.effort (Codex), streamed", async () => {
    const stream = await openai.responses.create({
      model: "gemini-3-flash",
      input: "think",
      reasoning: { effort: "medium" },
      stream: true,
    });
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    expect(text).toBe("Hello from gemini. You said: think");
    expect(sentThinking()).toEqual({ thinkingLevel: "medium" });
  });

  test("an Anthropic caller's thinking budget (Claude Code), nothing dropped", async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: "gemini-3-pro",
        max_tokens: 4096,
        thinking: { type: "enabled", budget_tokens: 2048 },
        messages: [{ role: "user", content: "think" }],
      })
      .withResponse();
    expect(data.stop_reason).toBe("end_turn");
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    expect(sentThinking()).toEqual({ thinkingLevel: "low" });
  });

  test("a level the gateway's rule misjudges (3.8 Flash has no minimal, unlike the Flash models before): a Responses caller's effort goes again without it, named; a chat caller's own is its 400 in Google's words", async () => {
    const calls = callsTo(/\/models\/gemini-3\.8-flash:/);
    const sentSince = (from: number) =>
      callsTo(/\/models\/gemini-3\.8-flash:/)
        .slice(from)
        .map((call) => JSON.parse(call.body).generationConfig?.thinkingConfig);
    const { data, response } = await openai.responses
      .create({ model: "gemini-3.8-flash", input: "think", reasoning: { effort: "minimal" } })
      .withResponse();
    expect(data.output_text).toBe("Hello from gemini. You said: think");
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning.effort");
    expect(sentSince(calls.length)).toEqual([{ thinkingLevel: "minimal" }, undefined]);

    const before = callsTo(/\/models\/gemini-3\.8-flash:/).length;
    const error = (await openai.chat.completions
      .create({
        model: "gemini-3.8-flash",
        reasoning_effort: "minimal",
        messages: [{ role: "user", content: "think" }],
      })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, (error.error as { message?: string } | undefined)?.message]).toEqual([
      400,
      "Thinking level MINIMAL is not supported for this model. Please retry with other thinking level.",
    ]);
    expect(sentSince(before)).toEqual([{ thinkingLevel: "minimal" }]);
  });
});

describe("the Responses API on cloud routes (responses → chat → vendor)", () => {
  test.each(["claude-bedrock", "vertex-flash"] as const)("%s answers and streams", async (model) => {
    const reply = await openai.responses.create({ model, input: "respond please" });
    expect(reply.output_text).toBe(`Hello from ${VENDOR[model]}. You said: respond please`);
    const stream = await openai.responses.create({ model, input: "stream please", stream: true });
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    expect(text).toBe(`Hello from ${VENDOR[model]}. You said: stream please`);
  });
});

describe("PDFs, audio and images on cloud routes: what each vendor can take, sent; said in the caller's terms", () => {
  const PDF = Buffer.from("%PDF-1.4\n%%EOF").toString("base64");
  const lastTo = (pattern: RegExp) => JSON.parse(callsTo(pattern).at(-1)?.body ?? "{}");

  test("an Anthropic caller's PDFs reach Bedrock as Converse documents and Gemini as inlineData, nothing dropped", async () => {
    const pdf = (title: string) => ({
      type: "document" as const,
      title,
      source: { type: "base64" as const, media_type: "application/pdf" as const, data: PDF },
    });
    for (const model of ["claude-bedrock", "gemini-flash"]) {
      const { response } = await anthropic.messages
        .create({
          model,
          max_tokens: 64,
          system: "be brief",
          messages: [
            {
              role: "user",
              content: [pdf("q3_report.v2.pdf"), { type: "text", text: "summarise this PDF" }],
            },
            { role: "assistant", content: "Done." },
            // The same title again, alone: Converse refuses a name twice and a document without text.
            { role: "user", content: [pdf("Q3 report v2.pdf")] },
          ],
        })
        .withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    }
    const converse = lastTo(/\/converse$/).messages;
    expect(converse[0].content[0].document).toEqual({
      format: "pdf",
      name: "q3 report v2",
      source: { bytes: PDF },
    });
    expect(converse[2].content.map((block: object) => Object.keys(block)[0])).toEqual(["document", "text"]);
    expect(converse[2].content[0].document.name).toBe("Q3 report v2 (2)");
    const gemini = lastTo(/generateContent$/).contents;
    expect(gemini[0].parts[0]).toEqual({ inlineData: { mimeType: "application/pdf", data: PDF } });
  });

  test("an OpenAI caller's audio reaches Gemini as inlineData; an image's detail is named there", async () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const { response } = await openai.chat.completions
      .create({
        model: "gemini-flash",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "transcribe and describe" },
              { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
              { type: "image_url", image_url: { url: png, detail: "high" } },
            ],
          },
        ],
      })
      .withResponse();
    expect(response.headers.get("x-mindgw-dropped")).toBe("messages.content.image_url.detail");
    expect(lastTo(/generateContent$/).contents[0].parts.slice(1)).toEqual([
      { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
    ]);
  });

  test("a Responses caller's refused part is its input[2].content[1], whatever instructions precede it", async () => {
    const error = await openai.responses
      .create({
        model: "claude-bedrock",
        instructions: "be brief",
        input: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          {
            role: "user",
            content: [
              { type: "input_text", text: "look" },
              { type: "input_image", image_url: "https://x.test/a.png", detail: "auto" },
            ],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const refused = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect([refused.param, refused.message]).toEqual([
      "input[2].content[1]",
      "400 input[2].content[1]: this model takes images only as data: URLs (png, jpeg, gif, webp)",
    ]);
  });
});

describe("Bedrock and Gemini streams relayed a read at a time", () => {
  const decoder = new TextDecoder();
  const ask = (path: string, model: string) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model,
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "stream me" }],
      }),
    });
  /** The answer's text in an OpenAI chat stream, or an Anthropic one. */
  const textOf = (sse: string) =>
    sse
      .split("\n\n")
      .map((event) => event.slice(event.indexOf("data: ") + 6))
      .filter((data) => data.startsWith("{"))
      .map((data) => {
        const parsed = JSON.parse(data) as {
          choices?: { delta?: { content?: string } }[];
          delta?: { text?: string };
        };
        return parsed.choices?.[0]?.delta?.content ?? parsed.delta?.text ?? "";
      })
      .join("");

  // Bedrock's call goes out on `fetch`, whose body's end is not in hand with its last bytes.
  test.each([
    ["gemini-flash", "/v1/chat/completions"],
    ["vertex-flash", "/v1/messages"],
  ] as const)("%s to %s: a stream in one upstream read is one body, with its length", async (model, path) => {
    const response = await ask(path, model);
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("content-length"))).toBe(new TextEncoder().encode(body).length);
    expect(textOf(body)).toBe(`Hello from ${VENDOR[model]}. You said: stream me`);
  });

  test.each([
    ["claude-bedrock", "/v1/chat/completions"],
    ["gemini-flash", "/v1/chat/completions"],
    ["nova", "/v1/messages"],
    ["gemini-flash", "/v1/messages"],
  ] as const)(
    "%s to %s: the events before a cut leave as one chunk; the cut event comes out whole",
    async (model, path) => {
      const release = cloud.cutNext();
      const response = await ask(path, model);
      expect(response.headers.get("content-length")).toBeNull();
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const first = decoder.decode((await reader.read()).value);
      // The two events before the cut, translated, in the one chunk the gateway wrote for that read.
      expect(first.split("\n\n").filter((event) => event.includes("data: ")).length).toBeGreaterThanOrEqual(
        2,
      );
      release();
      let rest = "";
      for (let read = await reader.read(); !read.done; read = await reader.read())
        rest += decoder.decode(read.value, { stream: true });
      expect(textOf(first + rest)).toBe(`Hello from ${VENDOR[model]}. You said: stream me`);
    },
  );
});

describe("vendor failures in the caller's dialect", () => {
  test("a Bedrock ValidationException is the caller's 400, with Bedrock's message", async () => {
    cloud.failNext({
      status: 400,
      type: "ValidationException",
      message: "Input is too long for requested model.",
    });
    const error = await openai.chat.completions
      .create({ model: "claude-bedrock", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("Input is too long");
  });

  test("a Bedrock exception frame mid-stream ends the stream with an error: a model's fault is a server error, not the caller's", async () => {
    cloud.failNext({
      status: 424,
      type: "modelStreamErrorException",
      message: "model crashed",
      midStream: true,
    });
    const stream = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    const error = await (async () => {
      for await (const _ of stream) {
        // drain until the error
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      type: "server_error",
      code: "upstream_error",
    });
  });

  test("a Bedrock ModelErrorException (424) is the model's fault: failed over to the next route; alone, a 502 api_error, audited so", async () => {
    const MODEL_ERROR = {
      status: 424,
      type: "ModelErrorException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      message: "The model produced an invalid response. Try your request again.",
    };
    cloud.failNext(MODEL_ERROR);
    const reply = await openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBeString();
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    cloud.failNext(MODEL_ERROR);
    const refused = (await anthropic.messages
      .create({ model: "claude-bedrock", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(refused).toBeInstanceOf(Anthropic.InternalServerError);
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ error: { type: "api_error" } });
    expect(await auditRow(gw, refused.requestID ?? "")).toMatchObject({ status: 502 });
  });

  test("a client that hangs up mid-stream cancels the Bedrock call", async () => {
    cloud.failNext({ status: 200, type: "", message: "", stall: true });
    const before = cloud.aborted();
    const stream = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "long answer please" }],
      stream: true,
    });
    for await (const _ of stream) break; // the first chunk, then hang up
    await waitFor("the fake to see the call abandoned", () => cloud.aborted() > before, 10_000);
  });

  test("a Gemini error keeps its status class and message", async () => {
    cloud.failNext({
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "Request contains an invalid argument.",
    });
    const error = await anthropic.messages
      .create({ model: "gemini-flash", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(400);
    expect((error as InstanceType<typeof Anthropic.APIError>).message).toContain("invalid argument");
  });
});

describe("Google's errors said in the caller's dialect, never relayed in Google's shape", () => {
  type ApiError = InstanceType<typeof OpenAI.APIError>;
  type AnthropicError = InstanceType<typeof Anthropic.APIError>;
  /** What `promise` failed with; a success fails the test. */
  const failure = async <E>(promise: Promise<unknown>): Promise<E> => {
    try {
      await promise;
    } catch (error) {
      return error as E;
    }
    throw new Error("expected a failure");
  };
  const chat = (model: string) =>
    failure<ApiError>(openai.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }));
  const messages = (model: string) =>
    failure<AnthropicError>(
      anthropic.messages.create({ model, max_tokens: 10, messages: [{ role: "user", content: "x" }] }),
    );
  const QUOTA = {
    status: 429,
    type: "RESOURCE_EXHAUSTED",
    message: "You exceeded your current quota, please check your plan and billing details.",
    google: { retryDelay: "12.4s" },
  };

  test.each(["gemini-flash", "vertex-flash", "claude-vertex"])(
    "%s: RESOURCE_EXHAUSTED is a 429 rate_limit_error with Retry-After from RetryInfo",
    async (model) => {
      cloud.failNext(QUOTA);
      const error = await chat(model);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.headers?.get("retry-after")).toBe("13");
      expect(error.error).toEqual({
        message: QUOTA.message,
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      });
      cloud.failNext(QUOTA);
      const refused = await messages(model);
      expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
      expect(refused.headers?.get("retry-after")).toBe("13");
      expect(refused.error).toEqual({
        type: "error",
        error: { type: "rate_limit_error", message: QUOTA.message },
      });
    },
  );

  test("a prompt over Gemini's window is context_length_exceeded on messages; Anthropic callers read prompt is too long", async () => {
    const tooLong = {
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    };
    cloud.failNext(tooLong);
    const error = await chat("gemini-flash");
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.code, error.param, error.type]).toEqual([
      "context_length_exceeded",
      "messages",
      "invalid_request_error",
    ]);
    cloud.failNext(tooLong);
    const refused = await messages("vertex-flash");
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect(refused.message).toContain("prompt is too long: 1200000 tokens > 1048576 maximum");
  });

  test("a key Gemini refuses (API_KEY_INVALID) is the gateway's: a 502 naming the provider, in both dialects", async () => {
    const error = await chat("gemini-stale-key");
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(502);
    expect(error.message).toContain("upstream gm-stale rejected the gateway's credentials");
    expect(error.message).not.toContain("API key not valid");
    const refused = await messages("gemini-stale-key");
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ error: { type: "api_error" } });
    const row = await auditRow(gw, refused.requestID ?? "");
    expect(row).toMatchObject({ status: 502 });
  });

  test.each([
    [403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied", 502],
    [401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", 502],
    // The route's model unknown upstream (Vertex AI's words name it): the route's configuration,
    // not the caller's request.
    [
      404,
      "NOT_FOUND",
      "Publisher Model `projects/p/locations/us-central1/publishers/google/models/gemini-9` was not found or your project does not have access to it.",
      502,
    ],
    [503, "UNAVAILABLE", "The model is overloaded. Please try again later.", 502],
    [504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", 504],
  ] as const)(
    "vertex %i %s reaches an OpenAI caller as %i in OpenAI's shape",
    async (status, type, message, expected) => {
      cloud.failNext({ status, type, message });
      // A 401 is sent once more with a fresh token: refused again, it is the gateway's 502.
      if (status === 401) cloud.failNext({ status, type, message });
      const error = await chat("vertex-flash");
      expect(error.status).toBe(expected);
      expect(typeof error.error).toBe("object");
      const body = error.error as Record<string, unknown>;
      expect(typeof body.type).toBe("string");
      expect(typeof body.code).toBe("string");
      expect(body).not.toHaveProperty("status");
      expect(JSON.stringify(body)).not.toContain("gemini-9");
    },
  );

  test("Google's error object mid-stream ends the stream with an error in the caller's dialect", async () => {
    cloud.failNext({ ...QUOTA, midStream: true });
    const stream = await openai.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    const error = await failure<ApiError>(
      (async () => {
        for await (const _ of stream) {
          // drain until the error
        }
      })(),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.error).toMatchObject({ type: "rate_limit_error", message: QUOTA.message });
    cloud.failNext({ ...QUOTA, midStream: true });
    const broken = await failure<AnthropicError>(
      anthropic.messages
        .stream({
          model: "vertex-flash",
          max_tokens: 100,
          messages: [{ role: "user", content: "stream please" }],
        })
        .finalMessage(),
    );
    expect(broken).toBeInstanceOf(Anthropic.APIError);
    expect(broken.error).toMatchObject({ error: { type: "rate_limit_error", message: QUOTA.message } });
  });
});

describe("context-aware routing across clouds", () => {
  test("Bedrock's 'Input is too long' fails over to Gemini with fallback_on: [context_length]", async () => {
    cloud.failNext({
      status: 400,
      type: "ValidationException",
      message: "Input is too long for requested model.",
    });
    const reply = await openai.chat.completions.create({
      model: "long-context",
      messages: [{ role: "user", content: "a long one" }],
    });
    expect(reply.choices[0]?.message.content).toBe("Hello from gemini. You said: a long one");
  });

  test("a route whose window cannot hold the prompt is skipped before it is called", async () => {
    const before = cloud.requests.filter((r) => r.path.startsWith("/model/")).length;
    const prompt = "word ".repeat(100);
    const reply = await openai.chat.completions.create({
      model: "tight",
      messages: [{ role: "user", content: prompt }],
    });
    expect(reply.choices[0]?.message.content).toBe(`Hello from gemini. You said: ${prompt}`);
    expect(cloud.requests.filter((r) => r.path.startsWith("/model/")).length).toBe(before);
  });

  test("without fallback_on a context refusal is the caller's 400 context_length_exceeded, with its param", async () => {
    cloud.failNext({
      status: 400,
      type: "ValidationException",
      message: "Input is too long for requested model.",
    });
    const error = await openai.chat.completions
      .create({ model: "claude-bedrock", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("context_length_exceeded");
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe("messages");
  });
});

describe("embeddings on cloud routes (OpenAI embeddings → each vendor's own API)", () => {
  const TEXTS = ["the first text", "a second, longer text to embed", "third"];
  const words = (texts: readonly string[]) => texts.reduce((sum, text) => sum + wordsOf(text), 0);
  /** What the OpenAI SDK decodes from `base64` (its default): the vectors as float32. */
  const asFloat32 = (vector: number[]) => vector.map(Math.fround);

  test("bedrock Titan: one signed InvokeModel call a text, base64 decoded by the SDK, Titan's token counts", async () => {
    const before = callsTo(/\/invoke$/).length;
    const { data, response } = await openai.embeddings
      .create({ model: "titan-embed", input: TEXTS })
      .withResponse();
    expect(data.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => asFloat32(vectorOf(text))));
    expect(data.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(data.usage).toEqual({ prompt_tokens: words(TEXTS), total_tokens: words(TEXTS) });
    const calls = callsTo(/\/invoke$/).slice(before);
    expect(calls.map((c) => c.path)).toEqual(TEXTS.map(() => "/model/amazon.titan-embed-text-v2%3A0/invoke"));
    expect(calls.map((c) => JSON.parse(c.body).inputText).toSorted()).toEqual(TEXTS.toSorted());
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      inputTokens: words(TEXTS),
      frontDoor: "embeddings",
      route: "provider:br",
    });
  });

  test("bedrock Cohere: 96 texts a call, input_type passed on, floats exact, the count from the header", async () => {
    const texts = Array.from({ length: 100 }, (_, i) => `text number ${i}`);
    const before = callsTo(/\/invoke$/).length;
    const reply = await openai.embeddings.create({
      model: "cohere-embed",
      input: texts,
      encoding_format: "float",
      // @ts-expect-error: Cohere's own field, sent through the OpenAI body
      input_type: "search_query",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(texts.map((text) => vectorOf(text)));
    expect(reply.usage.prompt_tokens).toBe(words(texts));
    const calls = callsTo(/\/invoke$/)
      .slice(before)
      .map((c) => JSON.parse(c.body));
    expect(calls.map((c) => c.texts.length).toSorted()).toEqual([4, 96]);
    expect(calls.every((c) => c.input_type === "search_query")).toBe(true);
    expect(calls[0].embedding_types).toEqual(["float"]);
  });

  test("gemini: one batchEmbedContents call, dimensions as outputDimensionality, the tokens estimated", async () => {
    const before = callsTo(/:batchEmbedContents$/).length;
    const reply = await openai.embeddings.create({
      model: "gemini-embed",
      input: TEXTS,
      dimensions: 8,
      encoding_format: "float",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => vectorOf(text, 8)));
    // The Gemini API counts no tokens: the o200k tokenizer's count, not the fake's words.
    const estimate = TEXTS.reduce((sum, text) => sum + countTokens(text), 0);
    expect(estimate).not.toBe(words(TEXTS));
    expect(reply.usage.prompt_tokens).toBe(estimate);
    const calls = callsTo(/:batchEmbedContents$/).slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers["x-goog-api-key"]).toBe("gemini-key");
    expect(JSON.parse(calls[0]?.body ?? "{}").requests[0]).toEqual({
      model: "models/gemini-embedding-001",
      content: { parts: [{ text: TEXTS[0] }] },
      outputDimensionality: 8,
    });
  });

  test("vertex: the texts in one predict call, task_type passed on, Vertex's token counts", async () => {
    const before = callsTo(/:predict$/).length;
    const reply = await openai.embeddings.create({
      model: "vertex-embed",
      input: TEXTS,
      encoding_format: "float",
      // @ts-expect-error: Google's own field, sent through the OpenAI body
      task_type: "RETRIEVAL_DOCUMENT",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => vectorOf(text)));
    expect(reply.usage.prompt_tokens).toBe(words(TEXTS));
    const calls = callsTo(/:predict$/).slice(before);
    expect(calls.map((c) => c.path)).toEqual([
      "/v1/projects/project-1/locations/us-central1/publishers/google/models/text-embedding-005:predict",
    ]);
    expect(calls[0]?.headers.authorization).toMatch(/^Bearer google-token-/);
    expect(JSON.parse(calls[0]?.body ?? "{}").instances[1]).toEqual({
      content: TEXTS[1],
      task_type: "RETRIEVAL_DOCUMENT",
    });
  });

  test("vertex Gemini embedding models: one text a predict call, joined in order", async () => {
    const before = callsTo(/:predict$/).length;
    const reply = await openai.embeddings.create({
      model: "vertex-gemini-embed",
      input: TEXTS,
      encoding_format: "float",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => vectorOf(text)));
    const calls = callsTo(/:predict$/).slice(before);
    expect(calls.map((c) => JSON.parse(c.body).instances.length)).toEqual([1, 1, 1]);
  });

  test("token ids are a 400 naming input; a Bedrock model of no embedding family is a 400", async () => {
    const ids = await openai.embeddings
      .create({ model: "titan-embed", input: [[1, 2, 3]] })
      .catch((e: unknown) => e);
    expect(ids).toBeInstanceOf(OpenAI.BadRequestError);
    expect((ids as InstanceType<typeof OpenAI.APIError>).param).toBe("input");
    expect((ids as InstanceType<typeof OpenAI.APIError>).message).toContain(
      "token ids cannot be sent to provider br",
    );
    const nova = await openai.embeddings.create({ model: "nova", input: "x" }).catch((e: unknown) => e);
    expect(nova).toBeInstanceOf(OpenAI.BadRequestError);
    expect((nova as InstanceType<typeof OpenAI.APIError>).message).toContain(
      "embeds only with Amazon Titan Text and Cohere Embed models, not amazon.nova-lite-v1:0",
    );
  });

  test("what a vendor's API cannot take is named in x-mindgw-dropped and the audit row (user; input_type on Titan)", async () => {
    // Each with its vendor's own field: carried where that vendor reads it.
    for (const [model, own, named] of [
      ["gemini-embed", { task_type: "RETRIEVAL_QUERY" }, "user"],
      ["vertex-embed", { task_type: "RETRIEVAL_QUERY" }, "user"],
      ["cohere-embed", { input_type: "search_query" }, "user"],
      ["titan-embed", { input_type: "search_query" }, "user, input_type"],
    ] as const) {
      const { response } = await openai.embeddings
        .create({ model, input: "x", user: "alice", ...own })
        .withResponse();
      expect(response.headers.get("x-mindgw-dropped")).toBe(named);
      expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).dropped).toBe(named);
    }
  });

  test("an empty input list is a 400 that says so; refused before any call, as token ids are", async () => {
    const before = cloud.requests.length;
    const error = await openai.embeddings
      .create({ model: "gemini-embed", input: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe("input");
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("input: an empty list");
    const ids = await openai.embeddings
      .create({ model: "gemini-embed", input: [[1, 2]] })
      .catch((e: unknown) => e);
    expect(ids).toBeInstanceOf(OpenAI.BadRequestError);
    const row = await auditRow(gw, (ids as InstanceType<typeof OpenAI.APIError>).requestID ?? "");
    expect([row.status, row.route, row.attempts ?? []]).toEqual([400, null, []]);
    expect(cloud.requests.length).toBe(before);
  });

  test("a Bedrock throttle on an embeddings call is the caller's 429 with Retry-After", async () => {
    cloud.failNext({
      status: 429,
      type: "ThrottlingException",
      message: "Too many requests",
      retryAfter: "3",
    });
    const error = await openai.embeddings
      .create({ model: "titan-embed", input: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after")).toBe("3");
  });

  test("a text too long for the model is the caller's 400 context_length_exceeded on input", async () => {
    cloud.failNext({
      status: 400,
      type: "ValidationException",
      message: "Input is too long for requested model.",
    });
    const error = await openai.embeddings
      .create({ model: "cohere-embed", input: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("context_length_exceeded");
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe("input");
  });
});

test("legacy completions on a Gemini or Bedrock route are refused before any attempt, as on an Anthropic route", async () => {
  const before = cloud.requests.length;
  for (const model of ["gemini-flash", "nova", "claude-on-bedrock"]) {
    const error = await openai.completions.create({ model, prompt: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const { message, requestID } = error as InstanceType<typeof OpenAI.APIError>;
    expect(message).toContain("which cannot serve completions");
    // No route or attempt in the audit row; no attempt metric under the provider's name.
    const row = await auditRow(gw, requestID ?? "");
    expect([row.route, row.attempts ?? []]).toEqual([null, []]);
  }
  expect(cloud.requests.length).toBe(before);
  const scrape = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
  const metrics = parsePrometheus(await scrape.text());
  for (const provider of ["gm", "br-web", "br-claude"])
    expect(
      sampleValue(metrics, "mindgw_upstream_attempts_total", { provider, outcome: "unsupported_operation" }),
    ).toBeUndefined();
});

describe("count_tokens on cloud routes: the vendor's own counter, else the gateway's estimate", () => {
  const REQUEST = {
    system: "You are terse",
    messages: [{ role: "user" as const, content: "count these five words please" }],
    tools: [
      {
        name: "get_weather",
        description: "Weather for a city",
        input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
      },
    ],
  };
  /** What the gateway answers where no vendor counts: its o200k estimate. */
  const estimate = async (model: string) =>
    ((await estimateInputTokens({ model, ...REQUEST })) as { input_tokens: number }).input_tokens;

  test("bedrock Claude: CountTokens with the Converse messages, system and tools; nothing billed", async () => {
    const before = callsTo(/\/count-tokens$/).length;
    const { data, response } = await anthropic.messages
      .countTokens({ model: "claude-bedrock", ...REQUEST })
      .withResponse();
    const calls = callsTo(/\/count-tokens$/).slice(before);
    expect(calls.map((c) => c.path)).toEqual([
      "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/count-tokens",
    ]);
    const sent = JSON.parse(calls[0]?.body ?? "{}").input.converse;
    expect(sent.system).toEqual([{ text: "You are terse" }]);
    expect(sent.messages).toEqual([{ role: "user", content: [{ text: "count these five words please" }] }]);
    expect(sent.toolConfig.tools[0].toolSpec.name).toBe("get_weather");
    expect(data.input_tokens).toBe(wordsIn(sent));
    expect(data.input_tokens).not.toBe(await estimate("claude-bedrock"));
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      frontDoor: "count_tokens",
      route: "provider:br",
      inputTokens: 0,
    });
  });

  test("bedrock Nova: CountTokens refuses the model, and the gateway's estimate answers", async () => {
    const before = callsTo(/\/count-tokens$/).length;
    const counted = await anthropic.messages.countTokens({ model: "nova", ...REQUEST });
    expect(
      callsTo(/\/count-tokens$/)
        .slice(before)
        .map((c) => c.path),
    ).toEqual(["/model/amazon.nova-lite-v1%3A0/count-tokens"]);
    expect(counted.input_tokens).toBe(await estimate("nova"));
  });

  test("gemini: countTokens with the whole generateContent request; vertex: its fields at the top", async () => {
    const before = callsTo(/:countTokens$/).length;
    const gemini = await anthropic.messages.countTokens({ model: "gemini-flash", ...REQUEST });
    const vertex = await anthropic.messages.countTokens({ model: "vertex-flash", ...REQUEST });
    const [toGemini, toVertex] = callsTo(/:countTokens$/).slice(before);
    expect(toGemini?.path).toBe("/v1beta/models/gemini-2.5-flash:countTokens");
    const whole = JSON.parse(toGemini?.body ?? "{}").generateContentRequest;
    expect(whole.model).toBe("models/gemini-2.5-flash");
    expect(whole.systemInstruction).toEqual({ parts: [{ text: "You are terse" }] });
    expect(whole.tools[0].functionDeclarations[0].name).toBe("get_weather");
    const { model: _name, ...counted } = whole;
    expect(gemini.input_tokens).toBe(wordsIn(counted));
    expect(toVertex?.path).toBe(
      "/v1/projects/project-1/locations/us-central1/publishers/google/models/gemini-2.5-flash:countTokens",
    );
    const top = JSON.parse(toVertex?.body ?? "{}");
    expect(Object.keys(top).toSorted()).toEqual(["contents", "systemInstruction", "tools"]);
    expect(vertex.input_tokens).toBe(wordsIn(top));
  });

  test("a vendor's failure to count is no failure of the count: the estimate answers", async () => {
    cloud.failNext({ status: 503, type: "UNAVAILABLE", message: "The service is currently unavailable." });
    const counted = await anthropic.messages.countTokens({ model: "gemini-flash", ...REQUEST });
    expect(counted.input_tokens).toBe(await estimate("gemini-flash"));
  });
});

describe("Claude on Vertex AI (publisher: anthropic): the Messages API through rawPredict", () => {
  const CLAUDE = "/v1/projects/project-1/locations/us-east5/publishers/anthropic/models";
  const lastTo = (suffix: string) => callsTo(new RegExp(`${suffix}$`)).at(-1);

  test("the Anthropic SDK: rawPredict, the model in the URL, anthropic_version in the body, anthropic-beta passed on", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-vertex",
        max_tokens: 100,
        system: "be brief",
        messages: [{ role: "user", content: "hello vertex" }],
        betas: ["interleaved-thinking-2025-05-14"],
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello vertex" }]);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    const call = lastTo(":rawPredict");
    expect(call?.path).toBe(`${CLAUDE}/claude-sonnet-4-5%4020250929:rawPredict`);
    expect(call?.headers.authorization).toMatch(/^Bearer google-token-/);
    expect(call?.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
    const sent = JSON.parse(call?.body ?? "{}");
    expect(sent.anthropic_version).toBe("vertex-2023-10-16");
    expect(sent.model).toBeUndefined();
    expect(sent.system).toBe("be brief");
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      route: "provider:vx-claude",
      upstreamModel: "claude-sonnet-4-5@20250929",
    });
    expect(row.inputTokens).toBe(data.usage.input_tokens);
  });

  test("Claude Code's betas: those Vertex takes go in the header (tool search under its name), the others named, never its 400 'Unexpected value(s)'", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-vertex",
        max_tokens: 100,
        messages: [{ role: "user", content: "hello from claude code" }],
        betas: CLAUDE_CODE_BETAS,
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello from claude code" }]);
    expect(lastTo(":rawPredict")?.headers["anthropic-beta"]).toBe(
      "interleaved-thinking-2025-05-14,context-management-2025-06-27,tool-search-tool-2025-10-19",
    );
    const named =
      "anthropic-beta.claude-code-20250219, anthropic-beta.per-turn-control-2026-07-01, anthropic-beta.mid-conversation-tool-changes-2026-07-01, anthropic-beta.thinking-token-count-2026-05-13, anthropic-beta.effort-2025-11-24";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).dropped).toBe(named);
  });

  test("a stream through streamRawPredict, Anthropic's events relayed", async () => {
    const stream = anthropic.messages.stream({
      model: "claude-vertex",
      max_tokens: 100,
      messages: [{ role: "user", content: "stream from vertex" }],
    });
    const message = await stream.finalMessage();
    expect(message.content).toMatchObject([{ type: "text", text: "echo: stream from vertex" }]);
    const call = lastTo(":streamRawPredict");
    expect(call?.path).toBe(`${CLAUDE}/claude-sonnet-4-5%4020250929:streamRawPredict`);
    expect(JSON.parse(call?.body ?? "{}")).toMatchObject({
      stream: true,
      anthropic_version: "vertex-2023-10-16",
    });
  });

  test("count_tokens at the count-tokens model, the model in the body", async () => {
    const counted = await anthropic.messages.countTokens({
      model: "claude-vertex",
      messages: [{ role: "user", content: "count these words" }],
    });
    expect(counted.input_tokens).toBe(3);
    const call = lastTo("count-tokens:rawPredict");
    expect(call?.path).toBe(`${CLAUDE}/count-tokens:rawPredict`);
    expect(JSON.parse(call?.body ?? "{}")).toMatchObject({
      model: "claude-sonnet-4-5@20250929",
      anthropic_version: "vertex-2023-10-16",
    });
  });

  test("a shadow copy to it is sent and read as a call is (not handed to the shadow thread)", async () => {
    const { response } = await anthropic.messages
      .create({
        model: "claude-vertex-shadowed",
        max_tokens: 50,
        messages: [{ role: "user", content: "shadow me" }],
      })
      .withResponse();
    const id = response.headers.get("x-request-id") ?? "";
    const pair = await waitFor("the shadow pair", async () => {
      const page = (await (
        await fetch(`${gw.url}/admin/api/shadow?limit=50`, {
          headers: { authorization: `Bearer ${gw.adminKey}` },
        })
      ).json()) as { records: { requestId: string; shadow: { status: number; upstreamModel: string } }[] };
      return page.records.find((record) => record.requestId === id);
    });
    expect(pair.shadow).toMatchObject({ status: 200, upstreamModel: "claude-haiku-4-5@20251001" });
    expect(callsTo(/claude-haiku-4-5%4020251001:rawPredict$/).length).toBeGreaterThan(0);
  });

  test("the OpenAI SDK reaches it through the chat → messages translation; a quota refusal is a 429", async () => {
    const reply = await openai.chat.completions.create({
      model: "claude-vertex",
      messages: [{ role: "user", content: "from openai" }],
    });
    expect(reply.choices[0]?.message.content).toBe("echo: from openai");
    cloud.failNext({ status: 429, type: "RESOURCE_EXHAUSTED", message: "Quota exceeded", retryAfter: "2" });
    const error = await anthropic.messages
      .create({ model: "claude-vertex", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).message).toContain("Quota exceeded");
  });
});

describe("Claude streams on Bedrock and Vertex that end early, to Anthropic callers (CLIENTS.md: when a stream is whole)", () => {
  const ask = () => ({
    max_tokens: 100,
    messages: [{ role: "user" as const, content: "a stream that ends early" }],
  });

  test.each(["claude-on-bedrock", "claude-vertex"])(
    "%s: message_delta then the body's end is a whole answer, message_stop added",
    async (model) => {
      cloud.failNext({ status: 200, type: "", message: "", endAfter: "message_delta" });
      const events: string[] = [];
      const stream = anthropic.messages.stream({ model, ...ask() });
      stream.on("streamEvent", (event) => events.push(event.type));
      const message = await stream.finalMessage();
      expect(message.content).toMatchObject([{ type: "text", text: "echo: a stream that ends early" }]);
      expect(message.stop_reason).toBe("end_turn");
      expect(events.at(-1)).toBe("message_stop");
      const row = await auditRow(gw, stream.request_id ?? "");
      expect(row).toMatchObject({ status: 200 });
    },
  );

  test.each(["claude-on-bedrock", "claude-vertex"])(
    "%s: cut after a content_block_delta is a failure: an error event, and its class in the audit row",
    async (model) => {
      cloud.failNext({ status: 200, type: "", message: "", endAfter: "content_block_delta" });
      const response = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": gw.adminKey ?? "", "content-type": "application/json" },
        body: JSON.stringify({ model, stream: true, ...ask() }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(text).toContain("event: content_block_delta");
      expect(text).toContain("event: error");
      expect(text).toContain("ended the stream without its end marker");
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect(row).toMatchObject({ status: 502, errorClass: "upstream_error" });
      cloud.failNext({ status: 200, type: "", message: "", endAfter: "content_block_delta" });
      const broken = await anthropic.messages
        .stream({ model, ...ask() })
        .finalMessage()
        .catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(Anthropic.APIError);
    },
  );
});

describe("Claude streams on Bedrock and Vertex that fail after the answer began, to Anthropic callers", () => {
  test.each(["claude-on-bedrock", "claude-vertex"])(
    "%s: Anthropic's error event is relayed, and the row and its attempt both say it failed (502), read whole or hung up on",
    async (model) => {
      const overloaded = { status: 200, type: "overloaded_error", message: "Overloaded", errorEvent: true };
      const ask = { max_tokens: 100, messages: [{ role: "user" as const, content: "a stream that fails" }] };
      cloud.failNext({ ...overloaded, endAfter: "content_block_delta" });
      const response = await fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": gw.adminKey ?? "", "content-type": "application/json" },
        body: JSON.stringify({ model, stream: true, ...ask }),
      });
      const text = await response.text();
      expect(text).toContain("event: content_block_delta");
      expect(text.match(/event: error/g)).toHaveLength(1);
      expect(text).toContain("overloaded_error");
      // The attempt's own record (its audit entry, its span) says what the row says: these streams
      // are relayed as decoded events (routing/event-chunks.ts), and agree with the byte relay.
      const failed = [["failed", 502, "upstream_error"]];
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect([row.status, row.attempts?.map((a) => [a.outcome, a.status, a.errorClass])]).toEqual([
        502,
        failed,
      ]);
      // The SDK stops at the error event and hangs up: the same record.
      cloud.failNext({ ...overloaded, endAfter: "content_block_delta" });
      const stream = anthropic.messages.stream({ model, ...ask });
      const broken = await stream.finalMessage().catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(Anthropic.APIError);
      const hungUp = await auditRow(gw, stream.request_id ?? "");
      expect([hungUp.status, hungUp.attempts?.map((a) => [a.outcome, a.status, a.errorClass])]).toEqual([
        502,
        failed,
      ]);
    },
  );
});

describe("Claude on Bedrock (publisher: anthropic): Anthropic's body through InvokeModel", () => {
  const MODEL_PATH = "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0";
  const lastTo = (suffix: string) => callsTo(new RegExp(`${suffix}$`)).at(-1);

  test("the Anthropic SDK: invoke, signed; anthropic_version and the betas in the body; cache_control kept", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-on-bedrock",
        max_tokens: 100,
        system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }],
        messages: [{ role: "user", content: "hello bedrock" }],
        betas: ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"],
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello bedrock" }]);
    const call = lastTo("/invoke");
    expect(call?.path).toBe(`${MODEL_PATH}/invoke`);
    expect(call?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKESTATIC\//);
    const sent = JSON.parse(call?.body ?? "{}");
    expect(sent.anthropic_version).toBe("bedrock-2023-05-31");
    expect(sent.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"]);
    expect(sent.model).toBeUndefined();
    expect(sent.stream).toBeUndefined();
    expect(sent.system).toEqual([{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }]);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      route: "provider:br-claude",
      inputTokens: data.usage.input_tokens,
    });
  });

  test("Claude Code's betas: those Bedrock takes go in anthropic_beta (tool search under its name), the others named, never its 400 'invalid beta flag'", async () => {
    const { data, response } = await anthropic.beta.messages
      .create({
        model: "claude-on-bedrock",
        max_tokens: 100,
        messages: [{ role: "user", content: "hello from claude code" }],
        betas: CLAUDE_CODE_BETAS,
      })
      .withResponse();
    expect(data.content).toMatchObject([{ type: "text", text: "echo: hello from claude code" }]);
    expect(JSON.parse(lastTo("/invoke")?.body ?? "{}").anthropic_beta).toEqual([
      "interleaved-thinking-2025-05-14",
      "context-management-2025-06-27",
      "tool-search-tool-2025-10-19",
      "effort-2025-11-24",
    ]);
    const named =
      "anthropic-beta.claude-code-20250219, anthropic-beta.per-turn-control-2026-07-01, anthropic-beta.mid-conversation-tool-changes-2026-07-01, anthropic-beta.thinking-token-count-2026-05-13";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).dropped).toBe(named);
  });

  test("a stream through invoke-with-response-stream: each chunk's event relayed as Anthropic's own", async () => {
    const events: string[] = [];
    const stream = anthropic.messages.stream({
      model: "claude-on-bedrock",
      max_tokens: 100,
      messages: [{ role: "user", content: "stream from bedrock" }],
    });
    stream.on("streamEvent", (event) => events.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toMatchObject([{ type: "text", text: "echo: stream from bedrock" }]);
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");
    expect(lastTo("/invoke-with-response-stream")?.path).toBe(`${MODEL_PATH}/invoke-with-response-stream`);
  });

  test("count_tokens through CountTokens as the InvokeModel body it would send", async () => {
    const counted = await anthropic.messages.countTokens({
      model: "claude-on-bedrock",
      messages: [{ role: "user", content: "count these words" }],
    });
    const call = lastTo("/count-tokens");
    expect(call?.path).toBe(`${MODEL_PATH}/count-tokens`);
    const counted_body = JSON.parse(JSON.parse(call?.body ?? "{}").input.invokeModel.body);
    expect(counted_body.anthropic_version).toBe("bedrock-2023-05-31");
    expect(counted.input_tokens).toBe(wordsIn(counted_body));
  });

  test("Bedrock's refusals in Anthropic's dialect: a ValidationException's 400, an exception frame mid-stream", async () => {
    cloud.failNext({ status: 400, type: "ValidationException", message: "messages.0: bad block" });
    const refused = await anthropic.messages
      .create({ model: "claude-on-bedrock", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused as InstanceType<typeof Anthropic.APIError>).message).toContain("bad block");
    cloud.failNext({
      status: 424,
      type: "modelStreamErrorException",
      message: "model crashed",
      midStream: true,
    });
    const stream = anthropic.messages.stream({
      model: "claude-on-bedrock",
      max_tokens: 100,
      messages: [{ role: "user", content: "a stream that breaks" }],
    });
    const broken = await stream.finalMessage().catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(Error);
    expect(String((broken as Error).message)).toContain("model crashed");
    expect((broken as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: "api_error" },
    });
  });

  test("the OpenAI SDK reaches it through the chat → messages translation", async () => {
    const reply = await openai.chat.completions.create({
      model: "claude-on-bedrock",
      messages: [{ role: "user", content: "from openai to bedrock" }],
    });
    expect(reply.choices[0]?.message.content).toBe("echo: from openai to bedrock");
  });
});

describe("credentials a cloud refuses before their time (revoked mid-run)", () => {
  const ask = (model: string) =>
    openai.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] });

  test("Vertex, Claude on Vertex, Entra and STS: fetched again at once and the call sent again; the calls refused together share one fetch", async () => {
    // Tokens that live an hour, cached as in production (the fixture's live a second).
    cloud.setTokenLifetime(3600);
    try {
      const models = ["vertex-flash", "claude-vertex", "azure-v1", "nova"];
      for (const model of models) await ask(model);
      const before = { ...cloud.issued };
      for (const model of models) await ask(model);
      expect(cloud.issued).toEqual(before);
      cloud.revokeTokens();
      const replies = await Promise.all(models.flatMap((model) => [ask(model), ask(model), ask(model)]));
      for (const reply of replies) expect(reply.choices[0]?.message.content).toBeString();
      // One fresh token a provider (vx and vx-claude hold their own), however many calls were refused.
      expect(cloud.issued).toEqual({
        ...before,
        google: before.google + 2,
        entra: before.entra + 1,
        sts: before.sts + 1,
      });
    } finally {
      cloud.setTokenLifetime(1);
      cloud.revokeTokens();
    }
  });
});

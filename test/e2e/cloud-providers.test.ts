import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { auditRow } from "./harness/admin-api.ts";
import {
  AWS,
  BEDROCK_API_KEY,
  cloudGateway,
  ENTRA,
  MODELS,
  TOKEN_LIFETIME,
  VENDOR,
  WEATHER,
} from "./harness/cloud-gateway.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// Every cloud provider type (azure, bedrock, gemini, vertex) through the compiled binary and both
// official SDKs, against fakes of each vendor's wire format that check credentials the way the
// vendor does (SigV4 recomputed, service-account JWTs verified, api-version required): answers,
// streams, tools, what reaches each cloud, and credentials refused before their time. The other
// test/e2e/cloud-*.test.ts files take a cloud or a concern each, over the same fixture
// (harness/cloud-gateway.ts).

const clouds = cloudGateway();
let cloud: FakeCloud;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, gw, openai, anthropic } = clouds);
});
const { lastModelCall, callsTo } = clouds;

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

  test("azure at an API version before 2024-09-01-preview: streams go without stream_options and bounds as max_tokens, which it refuses otherwise; its usage the gateway's estimate, from either SDK", async () => {
    const calls = () => callsTo(/\/deployments\/gpt4o-deployment\/chat\/completions$/);
    const before = calls().length;
    const texts: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    const stream = await openai.chat.completions.create({
      model: "azure-2024-06",
      messages: [{ role: "user", content: "x" }],
      max_completion_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      texts.push(chunk.choices[0]?.delta.content ?? "");
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts.join("")).toBe("Hello from azure. You said: x");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const message = await anthropic.messages
      .stream({ model: "azure-2024-06", max_tokens: 64, messages: [{ role: "user", content: "x" }] })
      .finalMessage();
    expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
      "Hello from azure. You said: x",
    ]);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    // Each sent once, in the words that version takes: no refusal to learn them from.
    const sent = calls()
      .slice(before)
      .map((call) => JSON.parse(call.body));
    expect(sent.map((body) => [body.stream_options, body.max_completion_tokens, body.max_tokens])).toEqual([
      [undefined, undefined, 50],
      [undefined, undefined, 64],
    ]);
  });

  test("azure at an API version before 2024-09-01-preview: parallel_tool_calls, which it does not know, is left out, named when it asked for one call at a time", async () => {
    const calls = () => callsTo(/\/deployments\/gpt4o-deployment\/chat\/completions$/);
    const before = calls().length;
    const ask = (parallel: boolean) =>
      openai.chat.completions
        .create({
          model: "azure-2024-06",
          messages: [{ role: "user", content: "use a tool" }],
          tools: [WEATHER],
          parallel_tool_calls: parallel,
        })
        .withResponse();
    const serial = await ask(false);
    expect(serial.data.choices[0]?.message.tool_calls?.[0]?.type).toBe("function");
    expect(serial.response.headers.get("x-mindgw-dropped")).toBe("parallel_tool_calls");
    const parallel = await ask(true);
    expect(parallel.response.headers.get("x-mindgw-dropped")).toBeNull();
    const sent = calls()
      .slice(before)
      .map((call) => JSON.parse(call.body));
    expect(sent.map((body) => "parallel_tool_calls" in body)).toEqual([false, false]);
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

  test("azure in a sovereign cloud: Entra ID's US Government authority is asked for Azure Government's scope, which it issues tokens for", async () => {
    // A gateway of its own that reaches the authority by its name, login.microsoftonline.us,
    // through the fake cloud as its HTTP proxy; the fake's authority there refuses the commercial
    // cloud's scope (AADSTS500011), as each cloud's issues tokens for its own resources alone.
    const sovereign = await clouds.spawn({
      env: { HTTP_PROXY: cloud.url },
      config: {
        providers: [
          {
            name: "az-gov",
            type: "azure",
            base_url: cloud.url,
            api_version: "v1",
            entra: {
              tenant_id: ENTRA.tenant,
              client_id: ENTRA.clientId,
              client_secret: ENTRA.clientSecret,
              authority_host: "http://login.microsoftonline.us",
            },
          },
        ],
        models: [{ name: "azure-gov", routes: [{ provider: "az-gov", model: "gpt-4o-mini" }] }],
      },
    });
    try {
      const client = new OpenAI({
        baseURL: `${sovereign.url}/v1`,
        apiKey: sovereign.adminKey ?? "no bootstrap key",
        maxRetries: 0,
      });
      const reply = await client.chat.completions.create({
        model: "azure-gov",
        messages: [{ role: "user", content: "x" }],
      });
      expect(reply.choices[0]?.message.content).toBe("Hello from azure. You said: x");
      const grant = callsTo(/\/oauth2\/v2\.0\/token$/).at(-1);
      expect(grant?.headers.host).toBe("login.microsoftonline.us");
      expect(new URLSearchParams(grant?.body).get("scope")).toBe(
        "https://cognitiveservices.azure.us/.default",
      );
      expect(lastModelCall()?.headers.authorization).toMatch(/^Bearer entra-token-\d+$/);
    } finally {
      await sovereign.stop();
    }
  });

  test("azure: a base_url ending in /openai/v1/ (Azure's v1 docs' form for the OpenAI SDK) is not doubled", async () => {
    await openai.chat.completions.create({
      model: "azure-sdk-base",
      messages: [{ role: "user", content: "x" }],
    });
    expect(lastModelCall()?.path).toBe("/openai/v1/chat/completions");
  });

  test("azure api_version: preview (the v1 API's preview): OpenAI's path under /openai/v1 with ?api-version=preview, the deployment as the body's model", async () => {
    const reply = await openai.chat.completions.create({
      model: "azure-preview",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBe("Hello from azure. You said: x");
    const seen = lastModelCall();
    expect({ path: seen?.path, query: seen?.query }).toEqual({
      path: "/openai/v1/chat/completions",
      query: "?api-version=preview",
    });
    expect(JSON.parse(seen?.body ?? "{}").model).toBe("gpt-4o-mini");
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

  test("bedrock with an Amazon Bedrock API key (AWS_BEARER_TOKEN_BEDROCK): sent as the bearer, no signature, no credential chain asked; a provider with its own aws: keys signs with them", async () => {
    const keyed = await clouds.spawn({
      env: { AWS_BEARER_TOKEN_BEDROCK: BEDROCK_API_KEY },
      config: {
        providers: [
          { name: "br-key", type: "bedrock", region: AWS.region, base_url: cloud.url },
          {
            name: "br-signed",
            type: "bedrock",
            region: AWS.region,
            base_url: cloud.url,
            aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey },
          },
        ],
        models: [
          { name: "nova-key", routes: [{ provider: "br-key", model: "amazon.nova-lite-v1:0" }] },
          { name: "nova-signed", routes: [{ provider: "br-signed", model: "amazon.nova-lite-v1:0" }] },
        ],
      },
    });
    const issued = { ...cloud.issued };
    const before = callsTo(/\/converse(-stream)?$/).length;
    const client = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: keyed.adminKey ?? "", maxRetries: 0 });
    const reply = await client.chat.completions.create({
      model: "nova-key",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
    const streamed: string[] = [];
    const stream = await client.chat.completions.create({
      model: "nova-key",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    for await (const chunk of stream) streamed.push(chunk.choices[0]?.delta.content ?? "");
    expect(streamed.join("")).toBe("Hello from bedrock. You said: x");
    await client.chat.completions.create({
      model: "nova-signed",
      messages: [{ role: "user", content: "x" }],
    });
    const auth = callsTo(/\/converse(-stream)?$/)
      .slice(before)
      .map((call) => call.headers.authorization ?? "");
    expect(auth.slice(0, 2)).toEqual([`Bearer ${BEDROCK_API_KEY}`, `Bearer ${BEDROCK_API_KEY}`]);
    expect(auth[2]).toStartWith(`AWS4-HMAC-SHA256 Credential=${AWS.accessKeyId}/`);
    // No STS, container or instance metadata asked for credentials the key stands in for.
    expect(cloud.issued).toEqual(issued);
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
    // `tool_choice: none` is carried: Converse has no such choice, so the tools are not offered.
    const named = "metadata.user_id, thinking";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row.dropped).toBe(named);
    const sent = JSON.parse(callsTo(/\/converse$/).slice(before)[0]?.body ?? "{}");
    expect(sent.additionalModelRequestFields).toBeUndefined();
    expect(sent.toolConfig).toBeUndefined();
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

describe("credentials a cloud refuses before their time (revoked mid-run)", () => {
  const ask = (model: string) =>
    openai.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] });

  test("Vertex, Claude on Vertex, Entra and STS: fetched again at once and the call sent again; the calls refused together share one fetch", async () => {
    // Tokens that live an hour, cached as in production (the fixture's are expired when issued).
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
      cloud.setTokenLifetime(TOKEN_LIFETIME);
      cloud.revokeTokens();
    }
  });

  test("a host clock AWS finds more than 15 minutes off its own: the call signed again by AWS's clock (its Date), as the AWS SDKs correct a skew, the next ones signed so at once", async () => {
    const converse = () => callsTo(/\/converse$/).length;
    const before = converse();
    cloud.setClockOffset(20 * 60_000);
    try {
      const chat = await ask("claude-bedrock");
      expect(chat.choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
      const message = await anthropic.messages.create({
        model: "claude-bedrock",
        max_tokens: 32,
        messages: [{ role: "user", content: "x" }],
      });
      expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
        "Hello from bedrock. You said: x",
      ]);
      // One refused, then each signed by AWS's clock.
      expect(converse() - before).toBe(3);
    } finally {
      cloud.setClockOffset(0);
    }
    // AWS's clock back beside the host's: the gateway's correction is corrected in turn.
    expect((await ask("claude-bedrock")).choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
    expect(converse() - before).toBe(5);
  });
});

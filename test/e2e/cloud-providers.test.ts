import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { auditRow } from "./harness/admin-api.ts";
import { cloudGateway, MODELS, TOKEN_LIFETIME, VENDOR, WEATHER } from "./harness/cloud-gateway.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
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
    const error = await openaiFailure(openai.completions.create({ model, prompt: "x" }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const { message, requestID } = error;
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
});

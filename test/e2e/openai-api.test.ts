import { beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { childEnv } from "../../src/testing/off-cloud-env.ts";
import { FAKE_TOOL_ARGUMENTS } from "../fake-upstream/fake-script.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { MINDGW } from "./harness/binary.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// The official SDK against the compiled gateway in front of the fake: the client-facing
// OpenAI surface, pass-through of what the gateway must not touch, and what it must never let
// a client change (the upstream host and credentials).

const UPSTREAM_KEY = "sk-upstream-secret-1234";
const ORG_HEADER = "org-from-config";

let fake: FakeUpstream;
let decoy: { url: string; hits: number; stop(): void };
let gw: GatewayProcess;
let client: OpenAI;

/** A server that must never be reached: it only counts. */
function startDecoy() {
  let hits = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      hits++;
      return Response.json({ decoy: true });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    get hits() {
      return hits;
    },
    stop: () => void server.stop(true),
  };
}

const lastRequest = () => {
  const last = fake.requests.at(-1);
  if (!last) throw new Error("the fake saw no request");
  return last;
};

const route = (name: string, upstream: string) => ({
  name,
  routes: [{ provider: "fake", model: upstream }],
});

const fx = gatewayFixture({
  fake: () => startFakeUpstream({ apiKey: UPSTREAM_KEY }),
  fakeRoutes: false,
  config: (_fakeUrl, { fake, own }) => {
    decoy = own(startDecoy());
    return {
      providers: [
        {
          name: "fake",
          type: "openai",
          base_url: `${fake.url}/v1`,
          api_key: UPSTREAM_KEY,
          headers: { "openai-organization": ORG_HEADER },
        },
        { name: "stale", type: "openai", base_url: `${fake.url}/v1`, api_key: "sk-stale-config-key" },
      ],
      models: [
        route("m1", "up-m1"),
        route("m2", "up-m2"),
        route("emb", "up-emb"),
        { name: "stale-key", routes: [{ provider: "stale", model: "up-stale" }] },
      ],
    };
  },
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey, maxRetries: 0 });
}, 30_000);

describe("chat completions", () => {
  test("non-stream answers through the route's upstream model", async () => {
    const reply = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(reply.choices[0]?.message.content).toBe("echo: hello there");
    expect(reply.usage?.total_tokens).toBeGreaterThan(0);
    expect(lastRequest().path).toBe("/v1/chat/completions");
    expect(lastRequest().body).toMatchObject({ model: "up-m1" });
  });

  test("stream relays the deltas, and no usage chunk when none was asked for", async () => {
    const stream = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "one two three" }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("echo: one two three");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    // The gateway asks the upstream for usage (its own accounting) and strips it again.
    expect(lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  test("stream_options without include_usage: other options kept, usage still stripped", async () => {
    const sent = {
      model: "m1",
      messages: [{ role: "user" as const, content: "keep options" }],
      stream: true as const,
      stream_options: { include_usage: false, x_vendor_option: { a: 1 } },
      x_top_level: "kept",
    };
    const stream = await client.chat.completions.create(sent);
    let usage = false;
    for await (const chunk of stream) if (chunk.usage || chunk.choices.length === 0) usage = true;
    expect(usage).toBe(false);
    expect(lastRequest().body).toEqual({
      ...sent,
      model: "up-m1",
      stream_options: { include_usage: true, x_vendor_option: { a: 1 } },
    });
  });

  test("stream_options.include_usage: the usage chunk arrives, request untouched", async () => {
    const sent = {
      model: "m1",
      messages: [{ role: "user" as const, content: "count me" }],
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const stream = await client.chat.completions.create(sent);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(lastRequest().body).toEqual({ ...sent, model: "up-m1" });
  });

  const weather: OpenAI.ChatCompletionTool = {
    type: "function",
    function: {
      name: "get_weather",
      description: "weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } } },
    },
  };

  test("tools, non-stream: the tool call comes back whole", async () => {
    const reply = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "weather in Paris?" }],
      tools: [weather],
    });
    const call = reply.choices[0]?.message.tool_calls?.[0];
    expect(reply.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);
    expect(lastRequest().body).toMatchObject({ tools: [weather] });
  });

  test("tools, streamed: the SDK's .stream() helper reassembles the call", async () => {
    const runner = client.chat.completions.stream({
      model: "m1",
      messages: [{ role: "user", content: "weather in Paris?" }],
      tools: [weather],
    });
    const argumentDeltas: string[] = [];
    runner.on("tool_calls.function.arguments.delta", (event) => argumentDeltas.push(event.arguments_delta));
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);
    expect(argumentDeltas.length).toBeGreaterThan(1);
  });

  test("response_format and unknown fields, top-level and nested, reach the upstream untouched", async () => {
    const responseFormat = {
      type: "json_schema",
      json_schema: {
        name: "answer",
        strict: true,
        schema: {
          type: "object",
          properties: { a: { type: "string" } },
          required: ["a"],
          additionalProperties: false,
        },
      },
    };
    const sent = {
      model: "m1",
      messages: [{ role: "user", content: "json please", x_message_extra: { keep: [1, 2, { deep: null }] } }],
      response_format: responseFormat,
      temperature: 0.25,
      seed: 7,
      x_vendor_knob: { nested: { list: ["a", 1, true, null], unicode: "héllo ✓" } },
      guided_json: { type: "object" },
      metadata: { team: "e2e" },
    };
    const reply = await client.chat.completions.create(
      sent as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
    );
    // The fake follows the JSON schema it was given.
    expect(JSON.parse(reply.choices[0]?.message.content ?? "")).toEqual({ a: "echo: json please" });
    expect(lastRequest().body).toEqual({ ...sent, model: "up-m1" });
  });
});

describe("completions, embeddings, models", () => {
  test("/v1/completions, non-stream", async () => {
    const reply = await client.completions.create({ model: "m2", prompt: "say this" });
    expect(reply.choices[0]?.text).toBe("echo: say this");
    expect(lastRequest()).toMatchObject({ path: "/v1/completions", body: { model: "up-m2" } });
  });

  test("/v1/completions, stream", async () => {
    const stream = await client.completions.create({ model: "m2", prompt: "a b c", stream: true });
    let text = "";
    let usage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = true;
    }
    expect(text).toBe("echo: a b c");
    expect(usage).toBe(false);
  });

  test("/v1/embeddings", async () => {
    const reply = await client.embeddings.create({ model: "emb", input: ["alpha", "beta"], dimensions: 8 });
    expect(reply.data).toHaveLength(2);
    expect(reply.data[0]?.embedding).toHaveLength(8);
    expect(lastRequest()).toMatchObject({
      path: "/v1/embeddings",
      body: { model: "up-emb", input: ["alpha", "beta"], dimensions: 8 },
    });
  });

  test("/v1/embeddings with stream: true is answered in JSON, sent on without it, and never counts towards the breaker", async () => {
    // Six: past the breaker's five failures, had a stream request answered whole been one.
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${gw.url}/v1/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "emb", input: "alpha", stream: true }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("application/json");
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
      expect(lastRequest().body).toEqual({ model: "up-emb", input: "alpha" });
    }
    const reply = await client.embeddings.create({ model: "emb", input: "beta" });
    expect(reply.data).toHaveLength(1);
  });

  test("GET /v1/models lists every model for the admin, only allowed ones for a scoped key", async () => {
    const all = await client.models.list();
    expect(all.data.map((m) => m.id).sort()).toEqual(["emb", "m1", "m2", "stale-key"]);

    const created = Bun.spawnSync(
      [MINDGW, "keys", "create", "-c", gw.configPath, "--name", "scoped", "--models", "m1", "--json"],
      { cwd: gw.dir, stdout: "pipe", stderr: "pipe", env: childEnv() },
    );
    expect(created.exitCode).toBe(0);
    const { key } = JSON.parse(created.stdout.toString()) as { key: string };
    const scoped = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    const listed = await scoped.models.list();
    expect(listed.data.map((m) => m.id)).toEqual(["m1"]);
    const refused = await scoped.chat.completions
      .create({ model: "m2", messages: [{ role: "user", content: "hi" }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
  });
});

describe("the upstream is the config's, never the client's", () => {
  const hostile = (url: string) => ({
    base_url: url,
    api_base: url,
    baseURL: url,
    url,
    endpoint: url,
    host: new URL(url).host,
    extra_body: { base_url: url, api_base: url, url },
    extra_headers: { host: new URL(url).host },
    provider: { base_url: url, name: "decoy" },
  });

  test("host-changing body fields and headers reach only the configured upstream", async () => {
    const before = fake.requests.length;
    const decoyHost = new URL(decoy.url).host;
    const sent = {
      model: "m1",
      messages: [{ role: "user", content: "where do I go", base_url: decoy.url }],
      ...hostile(decoy.url),
    };
    const reply = await client.chat.completions.create(
      sent as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
      {
        headers: {
          host: decoyHost,
          "x-forwarded-host": decoyHost,
          "x-forwarded-proto": "http",
          forwarded: `host=${decoyHost}`,
          "x-original-url": `${decoy.url}/v1/chat/completions`,
          "openai-base-url": decoy.url,
        },
      },
    );
    expect(reply.choices[0]?.message.content).toBe("echo: where do I go");
    const stream = await client.chat.completions.create(
      { ...sent, stream: true } as unknown as OpenAI.ChatCompletionCreateParamsStreaming,
      { headers: { "x-forwarded-host": decoyHost } },
    );
    for await (const _ of stream) {
      // drained
    }
    expect(fake.requests.length).toBe(before + 2);
    expect(decoy.hits).toBe(0);
    // None of the client's headers travelled either.
    for (const request of fake.requests.slice(before)) {
      expect(request.headers["x-forwarded-host"]).toBeUndefined();
      expect(request.headers.host).toBe(new URL(fake.url).host);
    }
  });

  test("upstream credentials come from config only; the client's never travel", async () => {
    const before = fake.requests.length;
    await client.chat.completions.create(
      { model: "m1", messages: [{ role: "user", content: "who am I" }] },
      { headers: { "x-api-key": "sk-client-supplied", "openai-organization": "org-client" } },
    );
    const seen = fake.requests[before];
    expect(seen?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(seen?.headers["openai-organization"]).toBe(ORG_HEADER);
    expect(seen?.headers["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(seen?.headers)).not.toContain(gw.adminKey ?? "mgw_");
    expect(JSON.stringify(seen?.headers)).not.toContain("mgw_");
  });

  test("an upstream refusing the configured key is the gateway's fault: 502, nothing leaked", async () => {
    const thrown = await client.chat.completions
      .create({ model: "stale-key", messages: [{ role: "user", content: "hi" }] })
      .catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    const error = thrown as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(502);
    expect(JSON.stringify(error.error)).not.toContain("sk-stale-config-key");
    expect(lastRequest().headers.authorization).toBe("Bearer sk-stale-config-key");
  });
});

describe("x-request-id", () => {
  test("on non-stream and stream answers; a safe caller id is echoed, an unsafe one replaced", async () => {
    const plain = await client.chat.completions
      .create({ model: "m1", messages: [{ role: "user", content: "id" }] })
      .withResponse();
    expect(plain.response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);

    const streamed = await client.chat.completions
      .create({ model: "m1", messages: [{ role: "user", content: "id" }], stream: true })
      .withResponse();
    expect(streamed.response.headers.get("x-request-id")).toMatch(/^req_/);
    for await (const _ of streamed.data) {
      // drained
    }

    const echoed = await client.chat.completions
      .create(
        { model: "m1", messages: [{ role: "user", content: "id" }] },
        { headers: { "x-request-id": "trace-42.abc:def" } },
      )
      .withResponse();
    expect(echoed.response.headers.get("x-request-id")).toBe("trace-42.abc:def");
    expect(lastRequest().headers["x-request-id"]).toBe("trace-42.abc:def");

    const unsafe = await fetch(`${gw.url}/v1/models`, {
      headers: { authorization: `Bearer ${gw.adminKey}`, "x-request-id": "bad id <script>" },
    });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^req_/);
  });
});

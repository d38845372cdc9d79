import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { anthropicFailure, openaiFailure } from "./harness/sdk-failure.ts";
import { waitFor } from "./harness/wait-for.ts";

// Prices from the catalogue (@pydantic/genai-prices, pinned), unpriced models refused where a
// budget applies, and `mindgw models` / `config check` saying where each price comes from.

const CATALOGUE_MINI = { input: 0.15, output: 0.6 }; // openai/gpt-4o-mini, USD per million tokens
const CATALOGUE_GROK_4 = { input: 3, output: 15 }; // x-ai/grok-4-0709
// anthropic/claude-sonnet-4-5: cache writes for 5 minutes and for an hour, reads; searches per thousand.
const CATALOGUE_SONNET = { input: 3, write5m: 3.75, write1h: 6, read: 0.3, output: 15, searchesPerK: 10 };
const CATALOGUE_GPT_AUDIO = { audioIn: 32, audioOut: 64 }; // openai/gpt-audio
const HOUSE_PRICE = { input_per_mtok: 1000, output_per_mtok: 2000 };

/** Answers the exact bodies a test queues, in each vendor's own wire format. */
let vendor: CannedUpstream;

const fx = gatewayFixture({
  models: ["gpt-4o-mini", "in-house", "in-house-free"],
  config: (fakeUrl, { own }) => {
    vendor = own(startCannedUpstream());
    return {
      providers: [
        { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
        { name: "xai", type: "openai", preset: "xai", base_url: `${vendor.url}/v1`, api_key: "xai-key" },
        { name: "oa", type: "openai", base_url: `${vendor.url}/v1`, api_key: "oa-key" },
        { name: "claude", type: "anthropic", base_url: vendor.url, api_key: "claude-key" },
      ],
      models: [
        { name: "gpt-4o-mini", routes: [{ provider: "fake", model: "gpt-4o-mini" }] },
        { name: "grok-4", routes: [{ provider: "xai", model: "grok-4" }] },
        { name: "gpt-audio", routes: [{ provider: "oa", model: "gpt-audio" }] },
        { name: "claude-sonnet-4-5", routes: [{ provider: "claude", model: "claude-sonnet-4-5" }] },
        { name: "in-house", routes: [{ provider: "fake", model: "in-house" }] },
        { name: "in-house-free", allow_unpriced: true, routes: [{ provider: "fake", model: "in-house" }] },
        { name: "house", aliases: ["house-2024-07-18"], routes: [{ provider: "fake", model: "in-house" }] },
        { name: "lab-*", allow_unpriced: true, routes: [{ provider: "fake", model: "*" }] },
      ],
      prices: { house: HOUSE_PRICE },
      tenants: [{ name: "metered", budget: { usd: 5, per: "month" } }],
    };
  },
});

const client = (key: string) => new OpenAI({ baseURL: fx.url("/v1"), apiKey: key, maxRetries: 0 });

describe("catalogue prices", () => {
  test("an answer from a catalogued model is costed at the catalogue's price, in the audit row", async () => {
    const { data, response } = await client(fx.adminKey)
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "price me" }] })
      .withResponse();
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    const usage = data.usage;
    if (!usage) throw new Error("no usage");
    const expected =
      (usage.prompt_tokens * CATALOGUE_MINI.input + usage.completion_tokens * CATALOGUE_MINI.output) / 1e6;
    expect(row.costUsd).toBeGreaterThan(0);
    expect(row.costUsd).toBeCloseTo(expected, 12);
  });
});

describe("the catalogue loaded on first need", () => {
  // A gateway started on no provider the catalogue prices does not load it (idle RSS,
  // pricing/catalogue-on-demand.ts): a reload that names the first such provider is applied once it is.
  test("a reload from the mock alone to a catalogued provider prices that provider's answers at the catalogue's price", async () => {
    const mockOnly = {
      providers: [{ name: "mock", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
    };
    const gw = await fx.spawn({ config: mockOnly });
    await gw.writeConfig({
      ...mockOnly,
      providers: [...mockOnly.providers, { name: "fake", type: "openai", base_url: `${fx.fake.url}/v1` }],
      models: [
        ...mockOnly.models,
        { name: "gpt-4o-mini", routes: [{ provider: "fake", model: "gpt-4o-mini" }] },
      ],
    });
    await waitFor("the reload logged", () => gw.stderr.all.includes("config reloaded (version 2)"));
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "price me" }] })
      .withResponse();
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    const usage = data.usage;
    if (!usage) throw new Error("no usage");
    expect(row.costUsd).toBeCloseTo(
      (usage.prompt_tokens * CATALOGUE_MINI.input + usage.completion_tokens * CATALOGUE_MINI.output) / 1e6,
      12,
    );
    expect(row.costUsd).toBeGreaterThan(0);
  });
});

describe("usage an upstream reports its own way", () => {
  // xAI's usage (docs.x.ai): 2,000 reasoning tokens beside the 100 of completion_tokens, billed as output.
  const XAI_USAGE = {
    prompt_tokens: 1000,
    completion_tokens: 100,
    total_tokens: 3100,
    completion_tokens_details: { reasoning_tokens: 2000 },
  };
  const GROK_BILL = (1000 * CATALOGUE_GROK_4.input + 2100 * CATALOGUE_GROK_4.output) / 1e6;
  const chatBody = (usage: object) =>
    JSON.stringify({
      id: "chatcmpl-x",
      object: "chat.completion",
      created: 1,
      model: "grok-4",
      choices: [{ index: 0, message: { role: "assistant", content: "42" }, finish_reason: "stop" }],
      usage,
    });
  const chunk = (body: object) =>
    `data: ${JSON.stringify({ id: "chatcmpl-x", object: "chat.completion.chunk", created: 1, model: "grok-4", ...body })}\n\n`;
  const chatStream = (usage: object) => [
    chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "42" }, finish_reason: null }] }),
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
    `${chunk({ choices: [], usage })}data: [DONE]\n\n`,
  ];
  const JSON_HEAD = { "content-type": "application/json" };
  const SSE_HEAD = { "content-type": "text/event-stream" };

  test("xAI's reasoning tokens are output: charged, audited and told to an Anthropic caller (plain, streamed)", async () => {
    vendor.queue(
      { headers: JSON_HEAD, body: chatBody(XAI_USAGE) },
      { headers: SSE_HEAD, body: chatStream(XAI_USAGE) },
      { headers: JSON_HEAD, body: chatBody(XAI_USAGE) },
    );
    const plain = await client(fx.adminKey)
      .chat.completions.create({ model: "grok-4", messages: [{ role: "user", content: "think" }] })
      .withResponse();
    const streamed = await client(fx.adminKey)
      .chat.completions.create({
        model: "grok-4",
        messages: [{ role: "user", content: "think" }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    for await (const _ of streamed.data) {
      // read to the end: the stream is accounted when it ends
    }
    const anthropic = new Anthropic({ baseURL: fx.gw.url, apiKey: fx.adminKey, maxRetries: 0 });
    const message = await anthropic.messages
      .create({ model: "grok-4", max_tokens: 100, messages: [{ role: "user", content: "think" }] })
      .withResponse();
    expect(message.data.usage).toMatchObject({ input_tokens: 1000, output_tokens: 2100 });
    for (const { response } of [plain, streamed, message]) {
      const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
      expect([row.status, row.inputTokens, row.outputTokens]).toEqual([200, 1000, 2100]);
      expect(row.costUsd).toBeCloseTo(GROK_BILL, 12);
    }
  });

  test("a count that is no count (a negative, a fraction) is one not reported: not audited, charged nor told a translated caller; with none left, the answer is estimated", async () => {
    const message = (usage: object) =>
      JSON.stringify({
        id: "msg_x",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5",
        content: [{ type: "text", text: "ok" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage,
      });
    vendor.queue(
      {
        headers: JSON_HEAD,
        body: message({ input_tokens: -100_000, cache_read_input_tokens: 2.5, output_tokens: 10 }),
      },
      {
        headers: JSON_HEAD,
        body: chatBody({ prompt_tokens: -100_000, completion_tokens: -3, total_tokens: -100_003 }),
      },
    );
    const ask = (model: string) =>
      client(fx.adminKey)
        .chat.completions.create({ model, messages: [{ role: "user", content: "count me" }] })
        .withResponse();
    const translated = await ask("claude-sonnet-4-5");
    expect(translated.data.usage).toMatchObject({
      prompt_tokens: 0,
      completion_tokens: 10,
      total_tokens: 10,
    });
    const row = await auditRow(fx.gw, translated.response.headers.get("x-request-id") ?? "");
    expect([row.status, row.inputTokens, row.outputTokens]).toEqual([200, 0, 10]);
    expect(row.costUsd).toBeCloseTo((10 * CATALOGUE_SONNET.output) / 1e6, 12);
    // No count left at all: estimated, as an answer that reports no usage is.
    const none = await ask("grok-4");
    const estimated = await auditRow(fx.gw, none.response.headers.get("x-request-id") ?? "");
    expect(estimated.status).toBe(200);
    expect(estimated.inputTokens).toBeGreaterThan(0);
    expect(estimated.outputTokens).toBeGreaterThan(0);
    expect(estimated.costUsd).toBeGreaterThan(0);
  });
});

describe("usage vendors bill at rates of their own", () => {
  // 100 plain, 100 written for 5 minutes, 200 for an hour, 600 read; 3 server-side web searches.
  const CLAUDE_USAGE = {
    input_tokens: 100,
    cache_creation_input_tokens: 300,
    cache_read_input_tokens: 600,
    cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
    output_tokens: 500,
    server_tool_use: { web_search_requests: 3 },
  };
  const s = CATALOGUE_SONNET;
  const CLAUDE_BILL =
    (100 * s.input + 100 * s.write5m + 200 * s.write1h + 600 * s.read + 500 * s.output) / 1e6 +
    (3 * s.searchesPerK) / 1e3;
  const message = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [{ type: "text", text: "found it" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: CLAUDE_USAGE,
  };
  const event = (data: { type: string; [field: string]: unknown }) =>
    `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  const { server_tool_use: _, ...startUsage } = CLAUDE_USAGE;
  const claudeStream = [
    event({
      type: "message_start",
      message: { ...message, content: [], stop_reason: null, usage: { ...startUsage, output_tokens: 1 } },
    }),
    event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "found it" } }),
    event({ type: "content_block_stop", index: 0 }),
    event({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 500, server_tool_use: { web_search_requests: 3 } },
    }),
    event({ type: "message_stop" }),
  ];

  test("Anthropic's hour-long cache writes and web searches are charged at their prices (plain, streamed, OpenAI caller)", async () => {
    vendor.queue(
      { headers: { "content-type": "application/json" }, body: JSON.stringify(message) },
      { headers: { "content-type": "text/event-stream" }, body: claudeStream },
      { headers: { "content-type": "application/json" }, body: JSON.stringify(message) },
    );
    const anthropic = new Anthropic({ baseURL: fx.gw.url, apiKey: fx.adminKey, maxRetries: 0 });
    const ask = {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user" as const, content: "search" }],
    };
    const plain = await anthropic.messages.create(ask).withResponse();
    const streamed = await anthropic.messages.create({ ...ask, stream: true }).withResponse();
    for await (const _ of streamed.data) {
      // read to the end: the stream is accounted when it ends
    }
    const chat = await client(fx.adminKey)
      .chat.completions.create({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: "search" }],
      })
      .withResponse();
    for (const { response } of [plain, streamed, chat]) {
      const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
      expect([row.status, row.inputTokens, row.outputTokens]).toEqual([200, 1000, 500]);
      expect(row.costUsd).toBeCloseTo(CLAUDE_BILL, 12);
    }
  });

  test("OpenAI's audio tokens are charged at the audio prices", async () => {
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 500,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 1000, text_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 500, text_tokens: 0 },
    };
    const answer = {
      id: "chatcmpl-a",
      object: "chat.completion",
      created: 1,
      model: "gpt-audio",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            audio: { id: "audio_1", data: "UklGR", transcript: "hi" },
          },
          finish_reason: "stop",
        },
      ],
      usage,
    };
    vendor.queue({ headers: { "content-type": "application/json" }, body: JSON.stringify(answer) });
    const { response } = await client(fx.adminKey)
      .chat.completions.create({
        model: "gpt-audio",
        modalities: ["text", "audio"],
        audio: { voice: "alloy", format: "wav" },
        messages: [
          { role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGR", format: "wav" } }] },
        ],
      })
      .withResponse();
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect([row.status, row.inputTokens, row.outputTokens]).toEqual([200, 1000, 500]);
    expect(row.costUsd).toBeCloseTo(
      (1000 * CATALOGUE_GPT_AUDIO.audioIn + 500 * CATALOGUE_GPT_AUDIO.audioOut) / 1e6,
      12,
    );
  });
});

describe("unpriced models and budgets", () => {
  test("a key with a budget is refused an unpriced model (403, OpenAI dialect), and may use priced ones", async () => {
    const { key } = await createKey(fx.gw, { name: "budgeted", budget_usd: 5 });
    const error = await openaiFailure(
      client(key).chat.completions.create({ model: "in-house", messages: [{ role: "user", content: "x" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.message).toContain("model in-house has no price");
    const ok = await client(key).chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "x" }],
    });
    expect(ok.choices[0]?.message.content).toBeString();
    const allowed = await client(key).chat.completions.create({
      model: "in-house-free",
      messages: [{ role: "user", content: "x" }],
    });
    expect(allowed.choices[0]?.message.content).toBeString();
  });

  test("a key without a budget may use the unpriced model", async () => {
    const { key } = await createKey(fx.gw, { name: "unbudgeted" });
    const reply = await client(key).chat.completions.create({
      model: "in-house",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBeString();
  });
});

describe("the model list under a budget", () => {
  test("a key or a tenant member under a budget is not listed an unpriced model nor can retrieve it (404), in both dialects; a key without a budget is", async () => {
    const own = await createKey(fx.gw, { name: "list-budgeted", budget_usd: 5 });
    const member = await createKey(fx.gw, { name: "list-metered", tenant: "metered" });
    const free = await createKey(fx.gw, { name: "list-unbudgeted" });
    const anthropic = (key: string) => new Anthropic({ baseURL: fx.url(""), apiKey: key, maxRetries: 0 });
    for (const { key } of [own, member]) {
      const listed = (await client(key).models.list()).data.map((m) => m.id);
      expect(listed).toContain("gpt-4o-mini");
      expect(listed).toContain("in-house-free");
      expect(listed).toContain("house");
      expect(listed).not.toContain("in-house");
      expect((await anthropic(key).models.list()).data.map((m) => m.id)).not.toContain("in-house");
      const retrieved = await openaiFailure(client(key).models.retrieve("in-house"));
      expect(retrieved).toBeInstanceOf(OpenAI.NotFoundError);
      const info = await anthropicFailure(anthropic(key).models.retrieve("in-house"));
      expect(info).toBeInstanceOf(Anthropic.NotFoundError);
      expect((await client(key).models.retrieve("in-house-free")).id).toBe("in-house-free");
    }
    expect((await client(free.key).models.list()).data.map((m) => m.id)).toContain("in-house");
    expect((await client(free.key).models.retrieve("in-house")).id).toBe("in-house");
  });
});

describe("client names that resolve to an entry: aliases and glob entries", () => {
  const ask = (key: string, model: string) =>
    client(key)
      .chat.completions.create({ model, messages: [{ role: "user", content: "x" }] })
      .withResponse();

  test("an alias is costed at its entry's price in the audit row", async () => {
    const { key } = await createKey(fx.gw, { name: "alias-unbudgeted" });
    const { data, response } = await ask(key, "house-2024-07-18");
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    const usage = data.usage;
    if (!usage) throw new Error("no usage");
    const expected =
      (usage.prompt_tokens * HOUSE_PRICE.input_per_mtok +
        usage.completion_tokens * HOUSE_PRICE.output_per_mtok) /
      1e6;
    expect(row.costUsd).toBeGreaterThan(0);
    expect(row.costUsd).toBeCloseTo(expected, 9);
  });

  test("a key or a tenant with a budget may use an alias of a priced model and a name under an allow_unpriced glob", async () => {
    const own = await createKey(fx.gw, { name: "alias-budgeted", budget_usd: 5 });
    const member = await createKey(fx.gw, { name: "alias-metered", tenant: "metered" });
    for (const { key } of [own, member]) {
      const alias = await ask(key, "house-2024-07-18");
      expect(alias.data.choices[0]?.message.content).toBeString();
      const globbed = await ask(key, "lab-anything");
      expect(globbed.data.choices[0]?.message.content).toBeString();
    }
  });
});

describe("mindgw models and config check", () => {
  test("print each route's price and its source; warn on unpriced routes on stderr", async () => {
    const json = await runMindgw(["models", "-c", fx.gw.configPath, "--json"]);
    expect(json.code).toBe(0);
    const routes = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(routes.find((r) => r.model === "gpt-4o-mini")).toMatchObject({
      inputPerMtok: CATALOGUE_MINI.input,
      outputPerMtok: CATALOGUE_MINI.output,
      contextWindow: 128000,
      source: "catalogue openai/gpt-4o-mini",
    });
    expect(routes.find((r) => r.model === "in-house")?.source).toBe("unpriced");
    expect(json.stderr).toContain("warning: model in-house (route fake/in-house) has no price");
    expect(json.stderr).not.toContain("in-house-free");

    const table = await runMindgw(["models", "-c", fx.gw.configPath]);
    expect(table.stdout).toMatch(/gpt-4o-mini\s+fake\/gpt-4o-mini\s+\$0\.15\s+\$0\.6/);
    const check = await runMindgw(["config", "check", "-c", fx.gw.configPath]);
    expect(check.code).toBe(0);
    expect(check.stderr).toContain("warning: model in-house");
  });

  // The parts billed at rates of their own (above) were priced and never shown: no column, no field.
  const PARTS_TITLES =
    /^MODEL\s+ROUTE\s+CACHE WRITE\/MTOK\s+CACHE WRITE 1H\/MTOK\s+AUDIO IN\/MTOK\s+AUDIO OUT\/MTOK\s+SEARCHES\/K$/m;
  const NO_PARTS = {
    cacheWritePerMtok: null,
    cacheWrite1hPerMtok: null,
    inputAudioPerMtok: null,
    outputAudioPerMtok: null,
    webSearchesPerK: null,
  };
  const models = async (configPath: string) => {
    const json = await runMindgw(["models", "-c", configPath, "--json"]);
    const table = await runMindgw(["models", "-c", configPath]);
    expect([json.code, table.code]).toEqual([0, 0]);
    const routes = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { model: string });
    return { routes: (model: string) => routes.find((r) => r.model === model), table: table.stdout };
  };

  test("the catalogue's rates for cache writes, hour-long writes, audio and web searches: in --json, and a table of the routes that have them", async () => {
    const { routes, table } = await models(fx.gw.configPath);
    const s = CATALOGUE_SONNET;
    expect(routes("claude-sonnet-4-5")).toMatchObject({
      cachedInputPerMtok: s.read,
      cacheWritePerMtok: s.write5m,
      cacheWrite1hPerMtok: s.write1h,
      inputAudioPerMtok: null,
      outputAudioPerMtok: null,
      webSearchesPerK: s.searchesPerK,
    });
    expect(routes("gpt-audio")).toMatchObject({
      inputAudioPerMtok: CATALOGUE_GPT_AUDIO.audioIn,
      outputAudioPerMtok: CATALOGUE_GPT_AUDIO.audioOut,
    });
    expect(routes("grok-4")).toMatchObject(NO_PARTS);
    // The first table as it was; the parts in a second, after a blank line, of those routes alone.
    const [first = "", parts = ""] = table.split("\n\n");
    expect(first.split("\n")[0]).toMatch(
      /^MODEL\s+ROUTE\s+INPUT\/MTOK\s+OUTPUT\/MTOK\s+CACHED\/MTOK\s+CONTEXT\s+PRICE FROM$/,
    );
    expect(parts).toMatch(PARTS_TITLES);
    expect(parts).toMatch(/^claude-sonnet-4-5\s+claude\/claude-sonnet-4-5\s+\$3\.75\s+\$6\s+-\s+-\s+\$10$/m);
    expect(parts).toMatch(/^gpt-audio\s+oa\/gpt-audio\s+-\s+-\s+\$32\s+\$64\s+-$/m);
    expect(parts).not.toContain("grok-4");
  });

  test("a prices: entry's own rate for each part, shown where set; without any, the one table", async () => {
    const house = {
      ...HOUSE_PRICE,
      cached_input_per_mtok: 100,
      cache_write_1h_per_mtok: 2500,
      input_audio_per_mtok: 4000,
      output_audio_per_mtok: 8000,
      web_searches_per_k: 25,
    };
    const config = (prices: object) => ({
      providers: [{ name: "fake", type: "openai", base_url: `${fx.fake.url}/v1` }],
      models: [
        { name: "house", routes: [{ provider: "fake", model: "in-house" }] },
        { name: "plain", routes: [{ provider: "fake", model: "in-house" }] },
      ],
      prices,
    });
    const withParts = join(fx.dir, "parts.yaml");
    await Bun.write(withParts, JSON.stringify(config({ house, plain: HOUSE_PRICE })));
    const { routes, table } = await models(withParts);
    expect(routes("house")).toMatchObject({
      inputPerMtok: 1000,
      cachedInputPerMtok: 100,
      cacheWritePerMtok: null,
      cacheWrite1hPerMtok: 2500,
      inputAudioPerMtok: 4000,
      outputAudioPerMtok: 8000,
      webSearchesPerK: 25,
    });
    expect(routes("plain")).toMatchObject(NO_PARTS);
    // Only the columns some route has a rate for: no cache writes of five minutes here.
    expect(table).toMatch(
      /^MODEL\s+ROUTE\s+CACHE WRITE 1H\/MTOK\s+AUDIO IN\/MTOK\s+AUDIO OUT\/MTOK\s+SEARCHES\/K$/m,
    );
    expect(table).toMatch(/^house\s+fake\/in-house\s+\$2500\s+\$4000\s+\$8000\s+\$25$/m);
    expect(table).not.toMatch(/^plain\s+fake\/in-house\s+-/m);

    const plainOnly = join(fx.dir, "plain.yaml");
    await Bun.write(plainOnly, JSON.stringify(config({ "*": HOUSE_PRICE })));
    const plain = await models(plainOnly);
    expect(plain.table.match(/^MODEL /gm)).toHaveLength(1);
    expect(plain.table).not.toContain("\n\n");
  });
});

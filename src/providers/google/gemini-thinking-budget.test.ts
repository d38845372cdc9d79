import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../../../test/fake-upstream/canned-upstream.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { type Gateway, parseConfig } from "../../index.ts";
import { recordingGateway, recordOf } from "../../testing/recording-gateway.ts";

// A Messages caller's `thinking.budget_tokens` on a Gemini 2.5 route went as the bucket of the
// effort it was rounded to: 2000 tokens asked, `thinkingBudget: 1024` sent. Gemini 2.5 takes a
// budget in tokens, so the caller's number goes, held within the model's range (Google's thinking
// table: 2.5 Pro 128–32768, 2.5 Flash 0–24576, 2.5 Flash-Lite 512–24576); effort words keep the
// bucket, Gemini 3 its levels. Through the gateway on loopback, the official SDK, Gemini's wire from
// a canned upstream.

let upstream: CannedUpstream;
let gateway: Gateway;
let client: Anthropic;
let openai: OpenAI;
let finished: AuditRecord[];

beforeAll(async () => {
  upstream = startCannedUpstream();
  const route = (model: string) => ({ name: model, routes: [{ provider: "g", model }] });
  const gw = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: [{ name: "g", type: "gemini", api_key: "key", base_url: `${upstream.url}/v1beta` }],
      models: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemini-3-flash-preview"].map(route),
    }),
  );
  gateway = gw.gateway;
  finished = gw.finished;
  const base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  client = new Anthropic({ baseURL: base, apiKey: gw.adminKey, maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: gw.adminKey, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.stop();
  await upstream.stop();
});

const answer = () =>
  upstream.queue({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
    }),
  });
const thinkingSent = (index = -1) =>
  (
    JSON.parse(upstream.requests.at(index)?.text ?? "{}") as {
      generationConfig?: { thinkingConfig?: object };
    }
  ).generationConfig?.thinkingConfig;
const ask = (model: string, budget: number) =>
  client.messages.create({
    model,
    max_tokens: 20_000,
    thinking: { type: "enabled", budget_tokens: budget, display: "omitted" },
    messages: [{ role: "user", content: "hi" }],
  });

describe("a Messages caller's thinking budget on a Gemini route", () => {
  test("2.5 Flash is sent the caller's number, not its effort's bucket", async () => {
    answer();
    await ask("gemini-2.5-flash", 2000);
    expect(thinkingSent()).toEqual({ thinkingBudget: 2000 });
  });

  test("held within the model's range: Flash's most 24576, Pro's 32768", async () => {
    answer();
    await ask("gemini-2.5-flash", 50_000);
    expect(thinkingSent()).toEqual({ thinkingBudget: 24_576 });
    answer();
    await ask("gemini-2.5-pro", 50_000);
    expect(thinkingSent()).toEqual({ thinkingBudget: 32_768 });
  });

  test("an effort word keeps its bucket; Gemini 3 its level", async () => {
    answer();
    await client.messages.create({
      model: "gemini-2.5-flash",
      max_tokens: 100,
      output_config: { effort: "low" },
      messages: [{ role: "user", content: "hi" }],
    });
    expect(thinkingSent()).toEqual({ thinkingBudget: 1024 });
    answer();
    await ask("gemini-3-flash-preview", 2000);
    expect(thinkingSent()).toEqual({ thinkingLevel: "low" });
  });

  test("a model that does not think (2.0 Flash, by its name) is sent no thinking config: one call, the thinking named", async () => {
    answer();
    const sentBefore = upstream.requests.length;
    const { data, response } = await client.messages
      .create({
        model: "gemini-2.0-flash",
        max_tokens: 20_000,
        thinking: { type: "enabled", budget_tokens: 2000 },
        messages: [{ role: "user", content: "hi" }],
      })
      .withResponse();
    expect(upstream.requests.length - sentBefore).toBe(1);
    expect(thinkingSent()).toBeUndefined();
    expect(response.headers.get("x-mindgw-dropped")).toBe("thinking");
    expect(data.content).toEqual([{ type: "text", text: "hi" }] as never);
  });

  test("a chat caller's effort and thoughts to 2.0 Flash: one call, no thinking config, both named", async () => {
    answer();
    const sentBefore = upstream.requests.length;
    const { response } = await openai.chat.completions
      .create({
        model: "gemini-2.0-flash",
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "low",
        include_reasoning: true,
      } as never)
      .withResponse();
    expect(upstream.requests.length - sentBefore).toBe(1);
    expect(thinkingSent()).toBeUndefined();
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort, include_reasoning");
  });

  test("a chat caller's OpenRouter reasoning.max_tokens is read beside its reasoning_effort; alone, it is named", async () => {
    const call = (fields: object) =>
      openai.chat.completions
        .create({
          model: "gemini-2.5-flash",
          messages: [{ role: "user", content: "hi" }],
          ...fields,
        } as never)
        .withResponse();
    answer();
    const beside = await call({ reasoning_effort: "low", reasoning: { max_tokens: 3000 } });
    expect(thinkingSent()).toEqual({ thinkingBudget: 3000 });
    expect(beside.response.headers.get("x-mindgw-dropped")).toBeNull();
    answer();
    const alone = await call({ reasoning: { max_tokens: 3000 } });
    expect(thinkingSent()).toBeUndefined();
    expect(alone.response.headers.get("x-mindgw-dropped")).toBe("reasoning");
  });

  // A chat caller's effort beside OpenRouter's `reasoning` (and its `include_reasoning`): what is
  // sent as the model's thinking config, and what is named.
  test.each([
    {
      title: "a budget of 0 beside include_reasoning turns thinking off: include_reasoning is named",
      model: "gemini-2.5-flash",
      fields: { reasoning: { max_tokens: 0 }, include_reasoning: true },
      sent: { thinkingBudget: 0 },
      named: "include_reasoning",
    },
    {
      title: "reasoning.max_tokens to Gemini 3, which takes a level, is named: the effort's level goes",
      model: "gemini-3-flash-preview",
      fields: { reasoning: { max_tokens: 3000 } },
      sent: { thinkingLevel: "low" },
      named: "reasoning",
    },
    {
      title:
        "OpenRouter's other reasoning keys, which Gemini is not sent, are named each; the budget beside them goes",
      model: "gemini-2.5-flash",
      fields: { reasoning: { max_tokens: 3000, exclude: true, enabled: true } },
      sent: { thinkingBudget: 3000 },
      named: "reasoning.exclude, reasoning.enabled",
    },
  ])("a chat caller's: $title", async ({ model, fields, sent, named }) => {
    answer();
    const { response } = await openai.chat.completions
      .create({
        model,
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "low",
        ...fields,
      } as never)
      .withResponse();
    expect(thinkingSent()).toEqual(sent);
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
  });

  test("a Messages caller's budget to Gemini 3 goes as the level of its effort, nothing named: no budget is written for it", async () => {
    answer();
    const { response } = await client.messages
      .create({
        model: "gemini-3-flash-preview",
        max_tokens: 20_000,
        thinking: { type: "enabled", budget_tokens: 2000, display: "omitted" },
        messages: [{ role: "user", content: "hi" }],
      })
      .withResponse();
    expect(thinkingSent()).toEqual({ thinkingLevel: "low" });
    // A translation, not a drop (CLIENTS.md): Claude Code sends a budget on every call, and naming
    // it would fill every row's `dropped` and, under `reject`, refuse every call.
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    expect((await recordOf(finished, response)).dropped ?? null).toBeNull();
  });
});

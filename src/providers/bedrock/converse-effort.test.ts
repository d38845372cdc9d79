import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { converseJson } from "../../../test/fake-cloud/bedrock-wire.ts";
import { type CannedUpstream, startCannedUpstream } from "../../../test/fake-upstream/canned-upstream.ts";
import { type Gateway, parseConfig } from "../../index.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// A Messages caller's `output_config.effort` (Claude Code sends it on every call to a Claude that
// takes one) on a Bedrock Converse route was dropped and named, though Converse hands Claude its own
// fields from `additionalModelRequestFields` (AWS's Claude pages; LiteLLM and langchain-aws send
// `{"output_config": {"effort": …}}` there). Claude that takes an effort (Opus 4.5, and later)
// now gets it; an earlier Claude (Sonnet 4.5: "This model does not support the effort parameter.")
// and any other model still have it named. Through the gateway on loopback, the official SDKs,
// Converse's wire from a canned upstream.

let upstream: CannedUpstream;
let gateway: Gateway;
let base = "";
let key = "";

beforeAll(async () => {
  upstream = startCannedUpstream();
  ({ gateway, base, key } = await gatewayOnUpstream("drop"));
});
afterAll(async () => {
  await gateway.stop();
  await upstream.stop();
});

/** A gateway routing the test's models to the canned Converse upstream, under `unsupported`. */
async function gatewayOnUpstream(
  unsupported: "drop" | "reject",
): Promise<{ gateway: Gateway; base: string; key: string }> {
  const route = (name: string, model: string) => ({ name, routes: [{ provider: "br", model }] });
  const gw = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      translation: { unsupported },
      providers: [
        {
          name: "br",
          type: "bedrock",
          region: "us-east-1",
          base_url: upstream.url,
          aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
        },
      ],
      models: [
        route("opus", "us.anthropic.claude-opus-4-6-v1"),
        route("opus-4-7", "us.anthropic.claude-opus-4-7"),
        route("opus-5", "us.anthropic.claude-opus-5"),
        route("opus-4-5", "global.anthropic.claude-opus-4-5-20251101-v1:0"),
        route("sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        route("nova", "us.amazon.nova-pro-v1:0"),
        // A Claude the gateway's rule does not know, which takes no effort after all.
        route("new-claude", "us.anthropic.claude-haiku-5-20270101-v1:0"),
      ],
    }),
  );
  return {
    gateway: gw.gateway,
    base: `http://127.0.0.1:${gw.gateway.listen("127.0.0.1", 0).port}`,
    key: gw.adminKey,
  };
}

const answer = () =>
  upstream.queue({
    headers: { "content-type": "application/json" },
    body: JSON.stringify(converseJson({ text: "hi", inputTokens: 3, outputTokens: 1 })),
  });
const sentLast = () => JSON.parse(upstream.requests.at(-1)?.text ?? "{}") as Record<string, unknown>;

describe("an effort level on a Bedrock Converse route", () => {
  const anthropic = () => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
  const ask = (model: string, effort: "low" | "medium" | "high" | "xhigh" | "max", thinking?: object) =>
    anthropic()
      .messages.create({
        model,
        max_tokens: 4000,
        output_config: { effort },
        ...(thinking ? { thinking } : {}),
        messages: [{ role: "user", content: "hi" }],
      } as never)
      .withResponse();

  test.each([
    ["opus", "medium"],
    ["opus-4-5", "low"],
    // Anthropic's own level between high and max (Opus 4.7 and later; Claude Code's default there):
    // it goes as the caller wrote it.
    ["opus-4-7", "xhigh"],
  ] as const)(
    "a Messages caller's reaches Claude that takes one (%s) in additionalModelRequestFields, nothing dropped",
    async (model, effort) => {
      answer();
      const { data, response } = await ask(model, effort);
      expect(data.content).toEqual([{ type: "text", text: "hi" }] as never);
      expect(sentLast().additionalModelRequestFields).toEqual({ output_config: { effort } });
      expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    },
  );

  test("to a Claude without xhigh (Opus 4.6), the most below it it has: high, not max, named", async () => {
    answer();
    const { response } = await ask("opus", "xhigh");
    expect(sentLast().additionalModelRequestFields).toEqual({ output_config: { effort: "high" } });
    expect(response.headers.get("x-mindgw-dropped")).toBe("output_config.effort");
  });

  test("beside adaptive thinking, both go, as Anthropic's API is sent them", async () => {
    answer();
    await ask("opus", "max", { type: "adaptive" });
    expect(sentLast().additionalModelRequestFields).toEqual({
      thinking: { type: "adaptive" },
      output_config: { effort: "max" },
    });
  });

  test.each(["sonnet-4-5", "nova"])(
    "to a model that takes none (%s), it is named, not sent",
    async (model) => {
      answer();
      const { response } = await ask(model, "high");
      expect(sentLast().additionalModelRequestFields).toBeUndefined();
      expect(response.headers.get("x-mindgw-dropped")).toBe("output_config.effort");
    },
  );

  test("a chat caller's reasoning_effort reaches Claude as its level on Anthropic's scale; none, which has none, is named", async () => {
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
    const call = (reasoning_effort: "minimal" | "none" | "high") =>
      openai.chat.completions
        .create({ model: "opus", messages: [{ role: "user", content: "hi" }], reasoning_effort })
        .withResponse();
    answer();
    const minimal = await call("minimal");
    expect(sentLast().additionalModelRequestFields).toEqual({ output_config: { effort: "low" } });
    expect(minimal.response.headers.get("x-mindgw-dropped")).toBeNull();
    answer();
    const none = await call("none");
    expect(sentLast().additionalModelRequestFields).toBeUndefined();
    expect(none.response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });

  test("a level Claude takes only lower (thinking disabled) is sent again at the level its words name, named", async () => {
    upstream.queue({
      status: 400,
      headers: { "content-type": "application/json", "x-amzn-errortype": "ValidationException" },
      body: JSON.stringify({
        message:
          "The model returned the following errors: output_config.effort 'xhigh' is not supported when thinking is disabled on this model. Use effort 'high' or below, or enable thinking.",
      }),
    });
    answer();
    const sentBefore = upstream.requests.length;
    const { data, response } = await ask("opus-4-7", "xhigh", { type: "disabled" });
    expect(data.content).toEqual([{ type: "text", text: "hi" }] as never);
    expect(upstream.requests.length - sentBefore).toBe(2);
    expect(sentLast().additionalModelRequestFields).toEqual({
      thinking: { type: "disabled" },
      output_config: { effort: "high" },
    });
    expect(response.headers.get("x-mindgw-dropped")).toBe("output_config.effort");
  });

  // Opus 5 takes xhigh and max only with thinking on (Anthropic's Opus 5 migration guide): with it
  // disabled, high goes at once, not the level asked for a 400 and a second call.
  test.each(["xhigh", "max"] as const)(
    "%s to Opus 5 with thinking disabled goes at once as high, thinking as it was, named",
    async (effort) => {
      answer();
      const sentBefore = upstream.requests.length;
      const { data, response } = await ask("opus-5", effort, { type: "disabled" });
      expect(data.content).toEqual([{ type: "text", text: "hi" }] as never);
      expect(upstream.requests.length - sentBefore).toBe(1);
      expect(sentLast().additionalModelRequestFields).toEqual({
        thinking: { type: "disabled" },
        output_config: { effort: "high" },
      });
      expect(response.headers.get("x-mindgw-dropped")).toBe("output_config.effort");
    },
  );

  test("a Claude that refuses it all the same (a name the rule misjudges) is sent the call again without it, named", async () => {
    upstream.queue({
      status: 400,
      headers: { "content-type": "application/json", "x-amzn-errortype": "ValidationException" },
      body: JSON.stringify({
        message: "The model returned the following errors: This model does not support the effort parameter.",
      }),
    });
    answer();
    const sentBefore = upstream.requests.length;
    const { data, response } = await ask("new-claude", "low");
    expect(data.content).toEqual([{ type: "text", text: "hi" }] as never);
    expect(upstream.requests.length - sentBefore).toBe(2);
    expect(sentLast().additionalModelRequestFields).toBeUndefined();
    expect(response.headers.get("x-mindgw-dropped")).toBe("output_config.effort");
  });
});

// Under translation.unsupported: reject a level the model takes only lower, or not at all, is the
// caller's 400 naming output_config.effort, as a refusal of it is: nothing goes upstream.
describe("an effort level on a Bedrock Converse route, under translation.unsupported: reject", () => {
  let rejecting: { gateway: Gateway; base: string; key: string };
  beforeAll(async () => {
    rejecting = await gatewayOnUpstream("reject");
  });
  afterAll(() => rejecting.gateway.stop());

  const ask = (model: string, effort: "high" | "xhigh" | "max") =>
    new Anthropic({ baseURL: rejecting.base, apiKey: rejecting.key, maxRetries: 0 }).messages
      .create({
        model,
        max_tokens: 4000,
        output_config: { effort },
        messages: [{ role: "user", content: "hi" }],
      } as never)
      .withResponse();

  test.each([
    ["opus", "xhigh", 'is "xhigh", which us.anthropic.claude-opus-4-6-v1 takes at most as "high"'],
    [
      "opus-4-5",
      "max",
      'is "max", which global.anthropic.claude-opus-4-5-20251101-v1:0 takes at most as "high"',
    ],
    ["sonnet-4-5", "high", "is an effort us.anthropic.claude-sonnet-4-5-20250929-v1:0 does not take"],
  ] as const)(
    "a Messages caller's %s, asked %s: 400 on output_config.effort, nothing sent",
    async (model, effort, why) => {
      const sentBefore = upstream.requests.length;
      await expect(ask(model, effort)).rejects.toMatchObject({
        status: 400,
        error: {
          type: "error",
          error: {
            type: "invalid_request_error",
            message: `output_config.effort: output_config.effort ${why} (translation.unsupported: reject)`,
          },
        },
      });
      expect(upstream.requests.length).toBe(sentBefore);
    },
  );

  // Said in the model's terms: a model that is not a Claude takes no effort at all, whatever the
  // word; a Claude is told a word has no level on Anthropic's scale.
  test.each([
    ["nova", "none", "is an effort us.amazon.nova-pro-v1:0 does not take"],
    ["nova", "high", "is an effort us.amazon.nova-pro-v1:0 does not take"],
    ["opus", "none", `"none" has no level on Anthropic's effort scale`],
  ] as const)(
    "a chat caller's %s, asked %s: 400 on reasoning_effort, nothing sent",
    async (model, effort, why) => {
      const openai = new OpenAI({ baseURL: `${rejecting.base}/v1`, apiKey: rejecting.key, maxRetries: 0 });
      const sentBefore = upstream.requests.length;
      const call = openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: effort,
      });
      await expect(call.withResponse()).rejects.toMatchObject({
        status: 400,
        param: "reasoning_effort",
        message: `400 reasoning_effort: reasoning_effort ${why} (translation.unsupported: reject)`,
      });
      expect(upstream.requests.length).toBe(sentBefore);
    },
  );

  test("a level the model takes goes as asked", async () => {
    answer();
    const { data } = await ask("opus-4-7", "xhigh");
    expect(data.content).toEqual([{ type: "text", text: "hi" }] as never);
    expect(sentLast().additionalModelRequestFields).toEqual({ output_config: { effort: "xhigh" } });
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type CannedUpstream, startCannedUpstream } from "../../test/fake-upstream/canned-upstream.ts";
import { type Gateway, parseConfig } from "../index.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// A Messages caller's count_tokens on a route whose vendor counts (Bedrock's CountTokens, Google's
// countTokens) was translated with none of the route's own needs, so the vendor counted another
// request than the one the messages call would send: a PDF by URL, which a Gemini messages call
// sends as `fileData`, was left out of the count (and named dropped); Claude's `thinking` and its
// signed past thinking, which a Converse messages call sends in `additionalModelRequestFields` and
// as `reasoningContent`, were not counted either. Claude Code counts before every turn to judge
// when to compact. Through the gateway on loopback, the official SDK, the vendors' wire canned.

let upstream: CannedUpstream;
let gateway: Gateway;
let client: Anthropic;

beforeAll(async () => {
  upstream = startCannedUpstream();
  const gw = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: [
        { name: "g", type: "gemini", api_key: "key", base_url: `${upstream.url}/v1beta` },
        {
          name: "br",
          type: "bedrock",
          region: "us-east-1",
          base_url: upstream.url,
          aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
        },
      ],
      models: [
        { name: "gemini", routes: [{ provider: "g", model: "gemini-2.5-flash" }] },
        { name: "claude", routes: [{ provider: "br", model: "us.anthropic.claude-sonnet-4-20250514-v1:0" }] },
      ],
    }),
  );
  gateway = gw.gateway;
  const base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  client = new Anthropic({ baseURL: base, apiKey: gw.adminKey, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.stop();
  await upstream.stop();
});

const counted = (body: object) =>
  upstream.queue({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const sentLast = () => JSON.parse(upstream.requests.at(-1)?.text ?? "{}") as Record<string, unknown>;

describe("count_tokens through a vendor's counter counts what the messages call would send", () => {
  test("Gemini: a PDF by URL is counted as the fileData the call sends, nothing named", async () => {
    counted({ totalTokens: 1234 });
    const { data, response } = await client.messages
      .countTokens({
        model: "gemini",
        messages: [
          {
            role: "user",
            content: [
              { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
              { type: "text", text: "sum it up" },
            ],
          },
        ],
      })
      .withResponse();
    expect(data.input_tokens).toBe(1234);
    expect(upstream.requests.at(-1)?.path).toContain(":countTokens");
    const contents = (sentLast().generateContentRequest as { contents: unknown }).contents;
    expect(JSON.stringify(contents)).toContain('"fileData"');
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
  });

  test("Converse: Claude's thinking and its signed past thinking are counted as the call sends them", async () => {
    counted({ inputTokens: 321 });
    const thinking = { type: "enabled" as const, budget_tokens: 2048 };
    const { data, response } = await client.messages
      .countTokens({
        model: "claude",
        thinking,
        tools: [{ name: "look", input_schema: { type: "object" } }],
        messages: [
          { role: "user", content: "look it up" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "I should look.", signature: "sig-1" },
              { type: "tool_use", id: "toolu_1", name: "look", input: {} },
            ],
          },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "found" }] },
        ],
      })
      .withResponse();
    expect(data.input_tokens).toBe(321);
    expect(upstream.requests.at(-1)?.path).toContain("/count-tokens");
    const converse = (sentLast().input as { converse: Record<string, unknown> }).converse;
    expect(converse.additionalModelRequestFields).toEqual({ thinking });
    const turns = converse.messages as Array<{ role: string; content: unknown[] }>;
    expect(turns[1]?.content[0]).toEqual({
      reasoningContent: { reasoningText: { text: "I should look.", signature: "sig-1" } },
    });
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
  });
});

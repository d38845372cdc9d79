import { describe, expect, test } from "bun:test";
import type { ProviderConfig } from "../config/config-schema.ts";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { createProvider } from "../providers/create-provider.ts";
import { jsonFixture } from "../translate/fixtures/load-fixture.ts";
import { adaptDialect } from "./adapt-dialect.ts";
import { answerTo, chatRequest, fakeProvider, modelOver, routerFor } from "./router-test-kit.ts";

// A Messages call to Claude in the caller's own dialect goes without what Claude would refuse it
// for: the betas the route's cloud does not take, thinking Claude did not sign. Each is named.

const provider = (config: Record<string, unknown>) =>
  createProvider({ name: "p", ...config } as ProviderConfig, { maxSseLine: 1 << 20 });
const anthropic = provider({ type: "anthropic" });
const bedrock = provider({ type: "bedrock", publisher: "anthropic", region: "eu-west-1" });
const vertex = provider({
  type: "vertex",
  publisher: "anthropic",
  project: "p",
  service_account: "/nonexistent.json",
});

/** Claude Code 2.1.328's recorded request: its body, and its dialect headers as the front door keeps them. */
const recorded = jsonFixture("clients/claude-code-2.1.328-default.json") as {
  body: JsonObject;
  headers: Record<string, string>;
};
const headers: Record<string, string> = {
  "anthropic-beta": recorded.headers["anthropic-beta"] ?? "",
  "anthropic-version": "2023-06-01",
};
const toClaude = (route: typeof anthropic, body = recorded.body, sent = headers, policy?: "reject") =>
  adaptDialect("messages", body, route, "m", undefined, policy, "m", { headers: sent });

describe("Claude Code's betas", () => {
  test("to Anthropic: every one as sent, the request as received", () => {
    const adapted = toClaude(anthropic);
    expect(adapted.body).toBe(recorded.body);
    expect([adapted.dropped, adapted.native?.headers, adapted.native?.rewritten]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("to Bedrock: those on its list, tool search under its name; the others named", () => {
    const adapted = toClaude(bedrock);
    expect(adapted.native?.headers).toEqual({
      "anthropic-beta":
        "interleaved-thinking-2025-05-14,context-management-2025-06-27,tool-search-tool-2025-10-19,effort-2025-11-24",
      "anthropic-version": "2023-06-01",
    });
    expect(adapted.dropped).toEqual([
      "anthropic-beta.claude-code-20250219",
      "anthropic-beta.per-turn-control-2026-07-01",
      "anthropic-beta.mid-conversation-tool-changes-2026-07-01",
      "anthropic-beta.thinking-token-count-2026-05-13",
    ]);
    // The body is the caller's: its bytes go, with the model spliced in.
    expect([adapted.body, adapted.native?.rewritten]).toEqual([recorded.body, undefined]);
  });

  test("to Vertex AI: those on its list; the others named", () => {
    const adapted = toClaude(vertex);
    expect(adapted.native?.headers?.["anthropic-beta"]).toBe(
      "interleaved-thinking-2025-05-14,context-management-2025-06-27,tool-search-tool-2025-10-19",
    );
    expect(adapted.dropped).toEqual([
      "anthropic-beta.claude-code-20250219",
      "anthropic-beta.per-turn-control-2026-07-01",
      "anthropic-beta.mid-conversation-tool-changes-2026-07-01",
      "anthropic-beta.thinking-token-count-2026-05-13",
      "anthropic-beta.effort-2025-11-24",
    ]);
  });

  test("betas a cloud takes, spaced as an SDK joins them, go as sent; none it takes, no header", () => {
    const spaced = { "anthropic-beta": "interleaved-thinking-2025-05-14, context-1m-2025-08-07" };
    const taken = toClaude(bedrock, recorded.body, spaced);
    expect([taken.native?.headers, taken.dropped]).toEqual([undefined, undefined]);
    const none = toClaude(bedrock, recorded.body, {
      "anthropic-beta": "claude-code-20250219",
      "x-other": "1",
    });
    expect([none.native?.headers, none.dropped]).toEqual([
      { "x-other": "1" },
      ["anthropic-beta.claude-code-20250219"],
    ]);
  });

  test("under translation.unsupported: reject, a 400 naming the first the cloud refuses", () => {
    const refused = (() => {
      try {
        toClaude(bedrock, recorded.body, headers, "reject");
      } catch (error) {
        return error as GatewayError;
      }
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect([refused?.status, refused?.param]).toEqual([400, "anthropic-beta"]);
    expect(refused?.message).toContain("claude-code-20250219");
  });
});

describe("thinking a chat route wrote, in a conversation that reaches Claude", () => {
  const unsigned = { type: "thinking", thinking: "Listing first.", signature: "" };
  const call = { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } };
  const body = {
    model: "m",
    max_tokens: 100,
    messages: [
      { role: "user", content: "list the files" },
      { role: "assistant", content: [unsigned, call] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
    ],
  };

  test.each([
    ["Anthropic", anthropic],
    ["Bedrock", bedrock],
    ["Vertex AI", vertex],
  ])("to %s: left out and named, the body sent rewritten", (_, route) => {
    const adapted = toClaude(route, body, {});
    expect((adapted.body.messages as JsonObject[])[1]?.content).toEqual([call]);
    expect(adapted.dropped).toEqual(["content.thinking (unsigned)"]);
    expect(adapted.native?.rewritten).toBe(true);
  });

  test("to DeepSeek's /anthropic, which wants its reasoning back: as received, nothing named", () => {
    const deepseek = provider({ type: "anthropic", base_url: "https://api.deepseek.com/anthropic" });
    const adapted = toClaude(deepseek, body, {});
    expect([adapted.body, adapted.dropped, adapted.native?.rewritten]).toEqual([body, undefined, undefined]);
  });

  test("unsigned_thinking says what a Messages server takes, whatever its host", () => {
    const kept = provider({
      type: "anthropic",
      base_url: "http://127.0.0.1:9/kimi",
      unsigned_thinking: "keep",
    });
    expect(toClaude(kept, body, {}).body).toBe(body);
    const proxied = provider({
      type: "anthropic",
      base_url: "https://api.deepseek.com/anthropic",
      unsigned_thinking: "drop",
    });
    expect(toClaude(proxied, body, {}).dropped).toEqual(["content.thinking (unsigned)"]);
  });

  test("to DeepSeek's /anthropic, which takes no redacted_thinking: Claude's left out and named, its signed thinking kept", () => {
    const signed = { type: "thinking", thinking: "Claude's.", signature: "EqQBCkYIBxgCKkA" };
    const redacted = { type: "redacted_thinking", data: "EmwKAhgBEgy3va" };
    const claudeBegan = {
      ...body,
      messages: [
        { role: "user", content: "list the files" },
        { role: "assistant", content: [signed, redacted, call] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
        { role: "assistant", content: [redacted] },
        { role: "user", content: "go on" },
      ],
    };
    const deepseek = provider({ type: "anthropic", base_url: "https://api.deepseek.com/anthropic" });
    const adapted = toClaude(deepseek, claudeBegan, {});
    expect(adapted.body.messages).toEqual([
      claudeBegan.messages[0],
      { role: "assistant", content: [signed, call] },
      claudeBegan.messages[2],
      claudeBegan.messages[4],
    ]);
    expect(adapted.dropped).toEqual(["content.redacted_thinking"]);
    expect(adapted.native?.rewritten).toBe(true);
    // Claude takes its own back: as received.
    expect(toClaude(anthropic, claudeBegan, {}).body).toBe(claudeBegan);
  });

  test("to DeepSeek's /anthropic, a tool-call turn left without thinking leads with an empty unsigned block, which its thinking mode requires", () => {
    const redacted = { type: "redacted_thinking", data: "EmwKAhgBEgy3va" };
    const call2 = { ...call, id: "toolu_2" };
    const empty = { type: "thinking", thinking: "", signature: "" };
    const bare = {
      ...body,
      messages: [
        { role: "user", content: "list the files" },
        // Claude's thinking redacted whole: nothing left DeepSeek takes.
        { role: "assistant", content: [redacted, call] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
        // A turn a route answered without reasoning (a chat route's that wrote none).
        { role: "assistant", content: [{ type: "text", text: "Again." }, call2] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_2", content: "b.txt" }] },
      ],
    };
    const deepseek = provider({ type: "anthropic", base_url: "https://api.deepseek.com/anthropic" });
    const adapted = toClaude(deepseek, bare, {});
    expect(adapted.body.messages).toEqual([
      bare.messages[0],
      { role: "assistant", content: [empty, call] },
      bare.messages[2],
      { role: "assistant", content: [empty, { type: "text", text: "Again." }, call2] },
      bare.messages[4],
    ]);
    expect(adapted.dropped).toEqual(["content.redacted_thinking"]);
    expect(adapted.native?.rewritten).toBe(true);
    // With thinking mode off, DeepSeek asks for none: only the redacted block goes.
    const off = toClaude(deepseek, { ...bare, thinking: { type: "disabled" } }, {});
    expect((off.body.messages as JsonObject[])[1]).toEqual({ role: "assistant", content: [call] });
    expect((off.body.messages as JsonObject[])[3]).toBe(bare.messages[3]);
    // Claude is sent none: the turn without thinking goes to it as received.
    const later = { ...bare, messages: bare.messages.slice(2) };
    expect(toClaude(anthropic, later, {}).body).toBe(later);
  });

  test("to a chat route: the translation's own rule, nothing named (its upstream never reads signatures)", () => {
    const chat = provider({ type: "openai", base_url: "http://127.0.0.1:1/v1" });
    const adapted = adaptDialect("messages", body, chat, "m", undefined, "drop", "m", { headers: {} });
    expect(adapted.dropped).toEqual([]);
  });
});

describe("the look for thinking to change", () => {
  test.each([
    ["Claude", false],
    ["DeepSeek's /anthropic", true],
  ])(
    "is one pass over the conversation, each block read once, a request, however many attempts to %s it makes",
    async (_, takesUnsignedThinking) => {
      // A retry on one Claude route, then a failover to another: three attempts, each of which used
      // to walk every turn again. Each walk reads every message, and each block of an assistant
      // turn (Claude's signed thinking and a call: nothing to change); nothing else reads them here.
      let reads = 0;
      let blockReads = 0;
      const blocks = [
        { type: "thinking", thinking: "Listing first.", signature: "EqQBCkYIBxgCKkA" },
        { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
      ];
      const turns = [
        { role: "user", content: "list the files" },
        { role: "assistant", content: blocks },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
      ];
      const text = JSON.stringify({ model: "m", max_tokens: 64, messages: turns });
      const counted = <T extends object>(list: T[], count: (key: string) => void): T[] =>
        new Proxy(list, {
          get(target, key, receiver) {
            if (typeof key === "string") count(key);
            return Reflect.get(target, key, receiver);
          },
        });
      const messages = counted(
        turns.with(1, {
          role: "assistant",
          content: counted(blocks, (key) => {
            if (/^\d+$/.test(key)) blockReads++;
          }),
        }),
        (key) => {
          if (key === "0") reads++;
        },
      );
      const body: JsonObject = { model: "m", max_tokens: 64, messages };
      const received = { bytes: new TextEncoder().encode(text), body, headers: {}, query: "" };
      const claude = (name: string, fails: boolean) => ({
        ...fakeProvider(name, (call) =>
          fails ? Promise.reject(upstreamError("answered 503")) : Promise.resolve(answerTo(call)),
        ),
        dialect: "anthropic" as const,
        passThrough: true,
        takesUnsignedThinking,
      });
      const a = claude("a", true);
      const b = claude("b", false);
      const config = modelOver(
        [
          { provider: "a", type: "anthropic", model: "m" },
          { provider: "b", type: "anthropic", model: "m" },
        ],
        { retries: 1 },
      );
      const dispatched = await routerFor(config, [a, b]).router(
        chatRequest("m", { operation: "messages", body, received }),
      );
      expect([dispatched.route, dispatched.attempts]).toEqual(["provider:b", 3]);
      expect(reads).toBe(1);
      // And reads each block once, for both kinds of thinking at once.
      expect(blockReads).toBe(blocks.length);
      // One look answers both kinds of route: a failover from Claude to DeepSeek looks no more.
      expect(received).toMatchObject({ unsignedThinking: false, thinkingToMend: false });
    },
  );
});

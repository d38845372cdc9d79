import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { Dropped } from "../dropped.ts";
import { jsonFixture } from "../fixtures/load-fixture.ts";
import { messagesRequestToChat } from "./messages-request-to-chat.ts";

describe("messagesRequestToChat", () => {
  test("system blocks, multi-turn, sampling, stop, user and streaming", () => {
    const chat = messagesRequestToChat({
      model: "llama-3.1-8b",
      max_tokens: 256,
      system: [
        { type: "text", text: "You are terse." },
        { type: "text", text: "Answer in French.", cache_control: { type: "ephemeral" } },
      ],
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: [{ type: "text", text: "Bonjour" }] },
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
      ],
      stop_sequences: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: "u-42" },
      stream: true,
    });
    expect(chat).toEqual({
      model: "llama-3.1-8b",
      max_completion_tokens: 256,
      messages: [
        { role: "system", content: "You are terse.\n\nAnswer in French." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Bonjour" },
        { role: "user", content: "Weather?" },
      ],
      stop: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      user: "u-42",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("stop sequences past the 4 OpenAI's chat API takes are left out and named, or refused, for an upstream that takes 4; all go to any other", () => {
    const body = (stop_sequences: string[]) => ({
      model: "m",
      max_tokens: 5,
      stop_sequences,
      messages: [{ role: "user", content: "x" }],
    });
    const four = ["A", "B", "C", "D"];
    const openAI = { maxStops: 4 };
    const dropped = new Dropped();
    expect(messagesRequestToChat(body([...four, "E", "F"]), dropped, openAI).stop).toEqual(four);
    expect(dropped.list).toEqual(["stop_sequences (past 4)"]);
    const none = new Dropped("reject");
    expect(messagesRequestToChat(body(four), none, openAI).stop).toEqual(four);
    expect(messagesRequestToChat(body([]), none, openAI).stop).toBeUndefined();
    // A vLLM or llama.cpp server takes more.
    expect(messagesRequestToChat(body([...four, "E", "F"]), none).stop).toEqual([...four, "E", "F"]);
    let refused: unknown;
    try {
      messagesRequestToChat(body([...four, "E"]), new Dropped("reject"), openAI);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).param).toBe("stop_sequences.4");
  });

  test("max_tokens is sent as max_completion_tokens, which OpenAI's reasoning models require", () => {
    const chat = messagesRequestToChat({
      model: "gpt-5.4",
      max_tokens: 1024,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.max_completion_tokens).toBe(1024);
    expect(chat.max_tokens).toBeUndefined();
  });

  test("system turns inside messages stay system turns, in place (Claude Code sends them)", () => {
    const chat = messagesRequestToChat({
      model: "m",
      max_tokens: 5,
      system: "Top.",
      messages: [
        { role: "user", content: "a" },
        { role: "system", content: [{ type: "text", text: "Mid-conversation reminder." }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "sig" },
            { type: "text", text: "b" },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "system", content: "Top." },
      { role: "user", content: "a" },
      { role: "system", content: "Mid-conversation reminder." },
      { role: "assistant", content: "b" },
    ]);
  });

  test("bad requests are 400s naming the field", () => {
    const attempt = (body: Record<string, unknown>) => {
      try {
        messagesRequestToChat(body);
      } catch (error) {
        return error;
      }
    };
    const missing = attempt({ model: "m", messages: [] });
    expect(missing).toBeInstanceOf(GatewayError);
    expect((missing as GatewayError).status).toBe(400);
    expect((missing as GatewayError).message).toStartWith("max_tokens");
  });

  test("Claude Code 2.1.328's recorded request: effort, tools, system; beta-only fields named", () => {
    const recorded = jsonFixture("clients/claude-code-2.1.328-default.json").body as Record<string, unknown>;
    const dropped = new Dropped();
    const chat = messagesRequestToChat(recorded, dropped);
    expect(chat.reasoning_effort).toBe("medium");
    expect((chat.messages as { role: string }[])[0]?.role).toBe("system");
    expect((chat.tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toContain(
      "Bash",
    );
    expect(dropped.list).toEqual(["context_management"]);
    expect(chat.context_management).toBeUndefined();
  });

  test("Claude Code's billing header line, whose version changes per prompt, is no part of the system prompt a chat upstream caches", () => {
    const recorded = jsonFixture("clients/claude-code-2.1.328-default.json").body as {
      system: { text: string }[];
    };
    expect(recorded.system[0]?.text).toStartWith("x-anthropic-billing-header: cc_version=");
    const system = (messagesRequestToChat(recorded).messages as { role: string; content: string }[])[0];
    expect(system?.role).toBe("system");
    expect(system?.content).toStartWith("You are a Claude agent, built on Anthropic's Claude Agent SDK.");
    expect(system?.content).not.toContain("x-anthropic-billing-header");
    // Another prompt of the session, its line's suffix changed: the same system message.
    const next = {
      ...recorded,
      system: [
        { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.328.a1f; cc_entrypoint=sdk-cli;" },
        ...recorded.system.slice(1),
      ],
    };
    expect((messagesRequestToChat(next).messages as unknown[])[0]).toEqual(system);
    // A system prompt of that line alone is no system message.
    const alone = { ...recorded, system: recorded.system.slice(0, 1) };
    expect((messagesRequestToChat(alone).messages as { role: string }[])[0]?.role).toBe("user");
  });

  test("Claude Code's metadata.user_id (a JSON object, ~150 characters) is sent as a 64-character digest OpenAI takes", () => {
    const recorded = jsonFixture("clients/claude-code-2.1.328-default.json").body as {
      metadata: { user_id: string };
    };
    expect(recorded.metadata.user_id.length).toBeGreaterThan(64);
    const user = messagesRequestToChat(recorded).user as string;
    expect(user).toMatch(/^[0-9a-f]{64}$/);
    // The same caller, the same user every time; another caller, another user.
    expect(messagesRequestToChat(recorded).user).toBe(user);
    const other = { ...recorded, metadata: { user_id: recorded.metadata.user_id.replace("1a0d", "2b1e") } };
    expect(messagesRequestToChat(other).user).not.toBe(user);
    // One OpenAI takes is sent as it is, up to its 64 characters.
    const sentAs = (userId: string) =>
      messagesRequestToChat({ ...recorded, metadata: { user_id: userId } }).user;
    expect(sentAs("u".repeat(64))).toBe("u".repeat(64));
    expect(sentAs("u".repeat(65))).toMatch(/^[0-9a-f]{64}$/);
  });

  // A schema OpenAI's strict mode takes. With a property left out of `required` (the AI SDK's
  // `Output.object` for `z.object({ name: z.string(), nick: z.string().optional() })`), Anthropic
  // enforces it, the property optional; OpenAI's strict mode refuses it.
  const EVERY_PROPERTY_REQUIRED = {
    type: "object",
    properties: {
      name: { type: "string" },
      nick: { type: "string" },
      pets: {
        type: "array",
        items: {
          type: "object",
          properties: { kind: { type: "string" } },
          required: ["kind"],
          additionalProperties: false,
        },
      },
    },
    required: ["name", "nick", "pets"],
    additionalProperties: false,
  };
  /** EVERY_PROPERTY_REQUIRED changed by `at` into a schema OpenAI's strict mode refuses. */
  const unfit = (at: (schema: Record<string, unknown>) => void) => {
    const schema = structuredClone(EVERY_PROPERTY_REQUIRED) as Record<string, unknown>;
    at(schema);
    return schema;
  };
  const base = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }] };

  test("a format OpenAI's strict mode takes is strict; one it refuses (a property optional anywhere, an object not closed, a root that is no object) is not, and is named", () => {
    const formatOf = (schema: unknown, dropped = new Dropped()) =>
      (
        messagesRequestToChat(
          { ...base, output_config: { format: { type: "json_schema", schema } } },
          dropped,
        ) as { response_format: { json_schema: Record<string, unknown> } }
      ).response_format.json_schema;
    expect(formatOf(EVERY_PROPERTY_REQUIRED).strict).toBe(true);
    const unfits = [
      unfit((schema) => {
        schema.required = ["name", "pets"];
      }),
      unfit((schema) => {
        const items = (schema.properties as { pets: { items: Record<string, unknown> } }).pets.items;
        items.required = [];
      }),
      unfit((schema) => {
        delete schema.additionalProperties;
      }),
      // A root that is no object: OpenAI's strict mode takes neither.
      { anyOf: [EVERY_PROPERTY_REQUIRED, { type: "null" }] },
      { type: "array", items: EVERY_PROPERTY_REQUIRED },
    ];
    for (const schema of unfits) {
      const dropped = new Dropped();
      expect(formatOf(schema, dropped)).toEqual({ name: "response", schema, strict: false });
      expect(dropped.list).toEqual(["output_config.format"]);
    }
    const beta = new Dropped();
    messagesRequestToChat({ ...base, output_format: { type: "json_schema", schema: unfits[0] } }, beta);
    expect(beta.list).toEqual(["output_format"]);
    expect(() => formatOf(unfits[0], new Dropped("reject"))).toThrow(GatewayError);
  });

  test("a strict tool whose schema OpenAI's strict mode refuses goes without strict, named tools.strict", () => {
    const dropped = new Dropped();
    const chat = messagesRequestToChat(
      {
        ...base,
        tools: [
          { name: "fits", strict: true, input_schema: EVERY_PROPERTY_REQUIRED },
          {
            name: "optional",
            strict: true,
            input_schema: { ...EVERY_PROPERTY_REQUIRED, required: ["name"] },
          },
        ],
      },
      dropped,
    );
    expect((chat.tools as { function: { strict: boolean } }[]).map((tool) => tool.function.strict)).toEqual([
      true,
      false,
    ]);
    expect(dropped.list).toEqual(["tools.strict"]);
  });
});

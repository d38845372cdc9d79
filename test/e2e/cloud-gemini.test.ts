import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { type GeminiContents, THOUGHT_SIGNATURE } from "../fake-cloud/gemini-wire.ts";
import type { CannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { cloudGateway, WEATHER } from "./harness/cloud-gateway.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// Gemini on Google AI and Vertex AI (harness/cloud-gateway.ts): Gemini 3's signed tool calls from
// every front door, their ids made plain on another vendor's route, a Responses chain a Gemini
// route answered, and an effort as Gemini's generation takes it.

const clouds = cloudGateway();
let native: CannedUpstream;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ native, openai, anthropic } = clouds);
});
const { lastModelCall, callsTo } = clouds;

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

  test("an Anthropic caller's thinking budget (Claude Code), nothing dropped, Gemini's thought summary its thinking block", async () => {
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
    expect(sentThinking()).toEqual({ thinkingLevel: "low", includeThoughts: true });
    expect(data.content[0]).toEqual({ type: "thinking", thinking: "thinking…", signature: "" });
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
    const error = await openaiFailure(
      openai.chat.completions.create({
        model: "gemini-3.8-flash",
        reasoning_effort: "minimal",
        messages: [{ role: "user", content: "think" }],
      }),
    );
    expect([error.status, (error.error as { message?: string } | undefined)?.message]).toEqual([
      400,
      "Thinking level MINIMAL is not supported for this model. Please retry with other thinking level.",
    ]);
    expect(sentSince(before)).toEqual([{ thinkingLevel: "minimal" }]);
  });
});

import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { refuseAudioOutput } from "./answers-in-audio.ts";
import { type ChatTarget, nameUncarried, nameUnshownReasoning } from "./chat-target.ts";
import { Dropped } from "./dropped.ts";
import { ANTHROPIC_TARGET, chatRequestToMessages } from "./openai-to-anthropic/chat-request-to-messages.ts";
import { CONVERSE_TARGET } from "./openai-to-bedrock/chat-request-to-converse.ts";
import { GEMINI_TARGET } from "./openai-to-gemini/chat-request-to-gemini.ts";

const hi = [{ role: "user", content: "hi" }];
const named = (body: Record<string, unknown>, target: ChatTarget) => {
  const dropped = new Dropped();
  nameUncarried(body, target, dropped);
  return dropped.list;
};
const refusal = (body: Record<string, unknown>, target: ChatTarget) => {
  try {
    nameUncarried(body, target, new Dropped("reject"));
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error("not refused");
};

const SAMPLING_ONLY_OPENAI_HAS = {
  seed: 7,
  logprobs: true,
  top_logprobs: 2,
  frequency_penalty: 0.5,
  presence_penalty: 0.5,
  logit_bias: { "50256": -100 },
  audio: { voice: "alloy", format: "wav" },
  prediction: { type: "content", content: "x" },
  store: true,
  metadata: { team: "a" },
};

describe("chat → Anthropic names what Messages cannot take", () => {
  test("every field Anthropic has no place for, a clamped temperature, arguments that are no object", () => {
    const dropped = new Dropped();
    const body = chatRequestToMessages(
      {
        model: "m",
        temperature: 1.5,
        ...SAMPLING_ONLY_OPENAI_HAS,
        messages: [
          { role: "user", content: "hi", name: "ann" },
          {
            role: "assistant",
            tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "not json" } }],
          },
          { role: "tool", tool_call_id: "c1", content: "r" },
        ],
      },
      dropped,
    );
    expect(dropped.list).toEqual([
      "seed",
      "logprobs",
      "top_logprobs",
      "frequency_penalty",
      "presence_penalty",
      "logit_bias",
      "audio",
      "prediction",
      "store",
      "metadata",
      "temperature (clamped to 1)",
      "messages.name",
      "tool_calls.arguments (not a JSON object)",
    ]);
    // Still sent as before: the nearest the target can take.
    expect(body.temperature).toBe(1);
    expect(body.messages).toContainEqual({
      role: "assistant",
      content: [{ type: "tool_use", id: "c1", name: "f", input: {} }],
    });
  });

  test("defaults ask for nothing, so nothing is named: n 1, logprobs false, penalties 0, nulls", () => {
    const dropped = new Dropped("reject");
    chatRequestToMessages(
      {
        model: "m",
        messages: [
          { role: "user", content: "hi", name: null },
          { role: "assistant", content: "ok", refusal: null, annotations: [], audio: null },
          {
            role: "assistant",
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "" } }],
          },
          { role: "tool", tool_call_id: "c", content: "r" },
        ],
        n: 1,
        logprobs: false,
        top_logprobs: 0,
        frequency_penalty: 0,
        presence_penalty: 0,
        logit_bias: {},
        seed: null,
        parallel_tool_calls: true,
        modalities: ["text"],
        store: false,
        service_tier: "auto",
        temperature: 1,
      },
      dropped,
    );
    expect(dropped.list).toEqual([]);
  });

  test("under reject, each is a 400 naming its path", () => {
    const seed = refusal({ model: "m", messages: hi, seed: 1 }, ANTHROPIC_TARGET);
    expect([seed.status, seed.param]).toEqual([400, "seed"]);
    const hot = refusal({ model: "m", messages: hi, temperature: 1.5 }, ANTHROPIC_TARGET);
    expect(hot.param).toBe("temperature");
    expect(hot.message).toContain("over 1");
    const args = refusal(
      {
        model: "m",
        messages: [
          ...hi,
          { role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "[1]" } }] },
        ],
      },
      ANTHROPIC_TARGET,
    );
    expect(args.param).toBe("messages.1.tool_calls.0.function.arguments");
  });

  test("strict tools reach Anthropic; safety_identifier is the user id", () => {
    const dropped = new Dropped();
    const body = chatRequestToMessages(
      {
        model: "m",
        messages: hi,
        safety_identifier: "u-hash",
        tools: [{ type: "function", function: { name: "f", parameters: { type: "object" }, strict: true } }],
      },
      dropped,
    );
    expect(body.tools).toEqual([
      {
        name: "f",
        // An object that names no properties goes as sent (anthropic-enforced-schema.ts): closed, it
        // would take only `{}`; Anthropic's 400 says what it cannot enforce, as OpenAI's strict would.
        input_schema: { type: "object" },
        strict: true,
      },
    ]);
    expect(body.metadata).toEqual({ user_id: "u-hash" });
    expect(dropped.list).toEqual([]);
  });
});

describe("the providers that translate chat themselves", () => {
  const strictTool = {
    type: "function",
    function: { name: "f", parameters: { type: "object" }, strict: true },
  };
  const strictFormat = { type: "json_schema", json_schema: { name: "p", schema: {}, strict: true } };

  test("Bedrock Converse: strict tools and formats, user, reasoning_effort, seed (tool_choice none carried)", () => {
    expect(
      named(
        {
          model: "m",
          messages: hi,
          user: "u",
          seed: 1,
          reasoning_effort: "high",
          parallel_tool_calls: false,
          tools: [strictTool],
          tool_choice: "none",
          response_format: strictFormat,
        },
        CONVERSE_TARGET,
      ),
    ).toEqual([
      "user",
      "seed",
      "parallel_tool_calls",
      // Named by the model ("m" takes no effort: only Claude from Opus 4.5 does), after the body's own.
      "reasoning_effort",
      "tools.function.strict",
      "response_format.json_schema.strict",
    ]);
  });

  test("Gemini: seed, penalties and logprobs carried; strict tools, user named; a format's schema enforced", () => {
    expect(
      named(
        {
          model: "m",
          messages: hi,
          seed: 1,
          frequency_penalty: 0.2,
          logprobs: true,
          top_logprobs: 3,
          user: "u",
          tools: [strictTool],
          tool_choice: "none",
          response_format: strictFormat,
        },
        GEMINI_TARGET,
      ),
    ).toEqual(["user", "tools.function.strict"]);
  });

  test("a field outside OpenAI's API (a server's own sampling knob) is named too", () => {
    expect(named({ model: "m", messages: hi, top_k: 40 }, GEMINI_TARGET)).toEqual(["top_k"]);
    expect(refusal({ model: "m", messages: hi, top_k: 40 }, CONVERSE_TARGET)).toBeInstanceOf(GatewayError);
  });

  test("a call for audio is refused by every target, which answers in text only, as the route's (unsupported_modality: the router tries the next)", () => {
    const audio = {
      model: "m",
      messages: hi,
      modalities: ["text", "audio"],
      audio: { voice: "alloy", format: "wav" },
    };
    for (const target of [ANTHROPIC_TARGET, CONVERSE_TARGET, GEMINI_TARGET]) {
      const refused = (() => {
        try {
          refuseAudioOutput(audio, target);
        } catch (error) {
          return error as GatewayError;
        }
      })();
      expect([refused?.status, refused?.code, refused?.param]).toEqual([
        400,
        "unsupported_modality",
        "modalities",
      ]);
      expect(refused?.message).toStartWith(`modalities: ${target.name} answers in text only`);
    }
  });
});

describe("nameUnshownReasoning: a chat caller's include_reasoning on Gemini", () => {
  const unshown = (model: string, body: Record<string, unknown>, policy: "drop" | "reject" = "drop") => {
    const dropped = new Dropped(policy);
    nameUnshownReasoning({ messages: hi, include_reasoning: true, ...body }, GEMINI_TARGET, dropped, model);
    return dropped.list;
  };

  test("named where the model is not asked for its thinking: before 2.5, 2.5 Flash-Lite unasked, thinking turned off", () => {
    expect(unshown("gemini-2.0-flash", {})).toEqual(["include_reasoning"]);
    expect(unshown("gemini-2.5-flash-lite", {})).toEqual(["include_reasoning"]);
    expect(unshown("gemini-2.5-flash", { reasoning_effort: "none" })).toEqual(["include_reasoning"]);
    expect(unshown("gemini-2.5-flash", {})).toEqual([]);
    expect(unshown("gemini-2.5-flash-lite", { reasoning_effort: "low" })).toEqual([]);
    expect(unshown("gemini-2.0-flash", { include_reasoning: false })).toEqual([]);
  });

  test("under reject, the caller's 400 says why", () => {
    expect(() => unshown("gemini-2.0-flash", {}, "reject")).toThrow(
      "include_reasoning: include_reasoning asks to see the thinking of gemini-2.0-flash, which does not think, or not at this reasoning_effort (translation.unsupported: reject)",
    );
  });
});

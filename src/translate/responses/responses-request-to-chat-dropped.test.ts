import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
import { nameUncarried } from "../chat-target.ts";
import { Dropped } from "../dropped.ts";
import { ANTHROPIC_TARGET } from "../openai-to-anthropic/chat-request-to-messages.ts";
import { responsesRequestToChat } from "./responses-request-to-chat.ts";

describe("responsesRequestToChat: what chat cannot carry", () => {
  test("hosted tools and unknown items: dropped and named, or a 400 naming them with reject", () => {
    const body = {
      model: "m",
      input: [
        { type: "item_reference", id: "x" },
        { type: "reasoning", encrypted_content: "gAAA", summary: [] },
        "hi",
      ].map((item) => (typeof item === "string" ? { role: "user", content: item } : item)),
      tools: [{ type: "web_search" }, { type: "function", name: "f" }],
    };
    const dropped = responsesRequestToChat(body);
    expect(dropped.dropped).toEqual(["tools.web_search", "input.item_reference"]);
    expect(dropped.body.messages).toEqual([{ role: "user", content: "hi" }]);
    expect((dropped.body.tools as unknown[]).length).toBe(1);
    const fail = (policy: "reject") => {
      try {
        responsesRequestToChat(body, [], policy);
      } catch (error) {
        return error as GatewayError;
      }
    };
    expect(fail("reject")?.status).toBe(400);
    expect(fail("reject")?.message).toContain("tools[0].type: tools.web_search");
  });

  test("a field the translation does not read is named, or refused under reject; what it reads or needs not is silent", () => {
    const body = {
      model: "m",
      input: "hi",
      prompt: { id: "pmpt_1", variables: { city: "Paris" } },
      max_tool_calls: 1,
      store: true,
      include: ["reasoning.encrypted_content"],
      stream_options: { include_obfuscation: false },
      client_metadata: { session_id: "s" },
      context_management: [{ type: "compaction", compact_threshold: 1000 }],
      moderation: { model: "omni-moderation-latest" },
      image: { context_compression: "disabled" },
      access_programs: { cyber: "standard" },
      x_unknown: 1,
      prompt_cache_retention: "24h",
      prompt_cache_options: { ttl: "12h" },
    };
    const translated = responsesRequestToChat(body);
    expect(translated.dropped).toEqual([
      "prompt",
      "max_tool_calls",
      "context_management",
      "image",
      "access_programs",
      "x_unknown",
    ]);
    // Chat takes the same moderation request (routing/responses-moderation-via-chat.test.ts).
    expect(translated.body).toMatchObject({
      prompt_cache_retention: "24h",
      prompt_cache_options: { ttl: "12h" },
      moderation: { model: "omni-moderation-latest" },
    });
    // Unset, or set to what asks for nothing: not named.
    const quiet = {
      model: "m",
      input: "hi",
      moderation: null,
      image: { context_compression: "auto" },
      prompt: {},
    };
    expect(responsesRequestToChat(quiet).dropped).toEqual([]);
    const refused = (() => {
      try {
        responsesRequestToChat({ model: "m", input: "hi", max_tool_calls: 1 }, [], "reject");
      } catch (error) {
        return error as GatewayError;
      }
    })();
    expect([refused?.status, refused?.param]).toEqual([400, "max_tool_calls"]);
  });

  test("where each chat message, part and call came from: what a later step names is the caller's item, shifted neither by instructions nor by parts left out", () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const translated = responsesRequestToChat(
      {
        model: "m",
        instructions: "be brief",
        tools: [{ type: "function", name: "f" }],
        input: [
          {
            role: "user",
            content: [
              { type: "input_file", file_url: "https://x.test/a.pdf" },
              { type: "input_image", image_url: png, detail: "high" },
            ],
          },
          { type: "function_call", call_id: "c1", name: "f", arguments: "not json" },
          { type: "function_call_output", call_id: "c1", output: [{ type: "input_image", image_url: png }] },
        ],
      },
      [{ type: "message", role: "user", content: [{ type: "input_image", image_url: png }] }],
    );
    const callers = [
      "messages.0",
      "messages.1.content.0",
      "messages.2.content.0.image_url.detail",
      "messages.3.tool_calls.0.function.arguments",
      "messages.4.tool_call_id",
      // As OpenAI's own errors write a path.
      "messages[5].content[1]",
      "messages.9.content.0",
      "tools.0.function.strict",
    ].map((path) => translated.paths.resolve(path)?.path);
    expect(callers).toEqual([
      "instructions",
      "previous_response_id.content[0]",
      "input[0].content[1].detail",
      "input[1].arguments",
      "input[2].call_id",
      "input[2].output[0]",
      undefined,
      // A declared tool, by its place among the caller's tools.
      "tools[0].strict",
    ]);
    // A later step's names, as the Responses API calls them (chat → Anthropic here).
    const later = new Dropped("drop", {}, translated.paths);
    nameUncarried(translated.body, ANTHROPIC_TARGET, later);
    expect(later.list).toEqual(["content.input_image.detail", "tool_calls.arguments (not a JSON object)"]);
  });

  test("a tool an additional_tools item declares is named by its own place (input[n].tools[j], previous_response_id.input[k].tools[j] for the stored chain's), not past the caller's tools", () => {
    const body = {
      model: "m",
      tools: [{ type: "function", name: "f" }],
      input: [
        { role: "user", content: "hi" },
        { type: "additional_tools", tools: [{ type: "function", name: "g" }, { type: "web_search" }] },
      ],
    };
    // Two such items in the stored chain: each named by its place among the chain's items.
    const previous = [
      { type: "additional_tools", tools: [{ type: "function", name: "h" }] },
      { role: "user", content: "earlier" },
      { type: "additional_tools", tools: [{ type: "function", name: "k" }] },
    ];
    const translated = responsesRequestToChat(body, previous);
    const tools = [
      "tools.0.function.parameters",
      "tools.1.function.parameters",
      "tools.2.function.parameters",
      "tools[3].function.strict",
    ];
    expect(tools.map((path) => translated.paths.resolve(path)?.path)).toEqual([
      "tools[0].parameters",
      "previous_response_id.input[0].tools[0].parameters",
      "previous_response_id.input[2].tools[0].parameters",
      "input[1].tools[0].strict",
    ]);
    // A hosted tool dropped is named by its place too, under reject.
    let refused: GatewayError | undefined;
    try {
      responsesRequestToChat(body, previous, "reject");
    } catch (error) {
      refused = error as GatewayError;
    }
    expect(refused?.message).toContain("input[1].tools[1].type: tools.web_search");
  });

  test("conversation: a 400 whatever the policy, since its history cannot be read here", () => {
    const error = (() => {
      try {
        responsesRequestToChat({ model: "m", input: "hi", conversation: "conv_123" });
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect([error?.status, error?.param]).toEqual([400, "conversation"]);
    expect(error?.message).toContain("previous_response_id");
    expect(responsesRequestToChat({ model: "m", input: "hi", conversation: null }).dropped).toEqual([]);
  });

  // A function deferred for tool search (`defer_loading`, openai 7.57) goes loaded, unnamed: the
  // model may call it at once, and the caller declared it; the tool search that would find it, a
  // hosted tool, is named.
  test("a function's defer_loading is not named; the tool_search beside it is", () => {
    const { dropped, body } = responsesRequestToChat({
      model: "m",
      input: "hi",
      tools: [
        { type: "tool_search" },
        { type: "function", name: "f", parameters: { type: "object" }, defer_loading: true },
      ],
    });
    expect(dropped).toEqual(["tools.tool_search"]);
    expect((body.tools as unknown[]).length).toBe(1);
  });
});

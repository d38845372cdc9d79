import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { chatRequestToGemini, GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { COMPLETION, oneRoute, refusal, refusedBy } from "./router-unsupported-fixture.ts";

// A chat caller's `allowed_tools` choice offers the upstream only the tools it allows: what a later
// step says of an offered tool is said of the caller's, at its index among the tools it declared.

const tool = (name: string, strict?: boolean) => ({
  type: "function",
  function: { name, parameters: { type: "object" }, ...(strict ? { strict } : {}) },
});
/** Tools a, b and c (strict), the choice allowing c alone: the caller's `tools[2]` is offered first. */
const allowingC = (mode: "auto" | "required" = "required"): JsonObject => ({
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  tools: [tool("a"), tool("b"), tool("c", true)],
  tool_choice: {
    type: "allowed_tools",
    allowed_tools: { mode, tools: [{ type: "function", function: { name: "c" } }] },
  },
});

describe("an allowed_tools choice's offered tool keeps the caller's index", () => {
  test("a Gemini route under reject names the strict tool at its place among the caller's tools", async () => {
    const gemini = {
      ...fakeProvider("p", (call) => {
        chatRequestToGemini(call.body);
        return Promise.resolve(jsonReply(COMPLETION));
      }),
      chatTarget: GEMINI_TARGET,
    };
    const config = oneRoute("openai", "up", { translation: { unsupported: "reject" } });
    const error = await refusedBy(
      routerFor(config, [gemini]).router,
      chatRequest("m", { body: allowingC() }),
    );
    expect([error.status, error.param]).toEqual([400, "tools[2].function.strict"]);
    expect(error.message).toStartWith("tools[2].function.strict: tools.function.strict cannot be translated");
  });

  test("an Anthropic route's refusal of the offered tool's input_schema is the caller's tools[2]", async () => {
    const said = "tools.0.custom.input_schema.properties: Input should be a valid dictionary";
    const anthropic = {
      ...fakeProvider("p", () =>
        Promise.reject(
          refusal("p", { type: "error", error: { type: "invalid_request_error", message: said } }),
        ),
      ),
      dialect: "anthropic" as const,
    };
    const error = await refusedBy(
      routerFor(oneRoute("anthropic"), [anthropic]).router,
      chatRequest("m", { body: allowingC() }),
    );
    expect([error.status, error.param, error.message]).toEqual([
      400,
      "tools[2].function.parameters.properties",
      "tools[2].function.parameters.properties: Input should be a valid dictionary",
    ]);
  });

  test("a choice allowing none of the tools goes without the caller's parallel_tool_calls, nothing refused under reject", async () => {
    const sent: JsonObject[] = [];
    const gemini = {
      ...fakeProvider("p", (call) => {
        sent.push(call.body);
        chatRequestToGemini(call.body);
        return Promise.resolve(jsonReply(COMPLETION));
      }),
      chatTarget: GEMINI_TARGET,
    };
    const config = oneRoute("openai", "up", { translation: { unsupported: "reject" } });
    const body = {
      ...allowingC("auto"),
      parallel_tool_calls: true,
      tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [] } },
    };
    await routerFor(config, [gemini]).router(chatRequest("m", { body }));
    expect(sent.map((call) => [call.tools, call.tool_choice, call.parallel_tool_calls])).toEqual([
      [undefined, undefined, undefined],
    ]);
  });
});

import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import type { DispatchRequest } from "./router.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { COMPLETION, oneRoute, refusal, refusedBy, responsesCall } from "./router-unsupported-fixture.ts";

describe("response_format beside tools, which Gemini 2.5 refuses together", () => {
  // Google's words, as gemini-2.5-flash answers structured output with function declarations (the
  // Agents SDK's output_type on an agent with tools sends both on every turn); Gemini 3 takes both.
  const BOTH_REFUSED = {
    error: {
      code: 400,
      message: "Function calling with a response mime type: 'application/json' is unsupported",
      status: "INVALID_ARGUMENT",
    },
  };
  const TOOLS = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
  const SCHEMA = { type: "json_schema", json_schema: { name: "out", schema: { type: "object" } } };
  const gemini = () => ({
    ...fakeProvider("p", (call) =>
      call.body.response_format !== undefined && call.body.tools !== undefined
        ? Promise.reject(refusal("p", BOTH_REFUSED))
        : Promise.resolve(jsonReply(COMPLETION)),
    ),
    chatTarget: GEMINI_TARGET,
  });
  const chat = (fields: JsonObject): Partial<DispatchRequest> => ({
    body: { model: "m", messages: [{ role: "user", content: "hi" }], ...fields },
  });
  const routed = (policy: object = {}) => oneRoute("gemini", "gemini-2.5-flash", policy);

  test.each([
    ["json_schema", SCHEMA],
    ["json_object", { type: "json_object" }],
  ])(
    "%s with tools: sent again without response_format, the tools kept, response_format named",
    async (_, format) => {
      const google = gemini();
      const dispatched = await routerFor(routed(), [google]).router(
        chatRequest("m", chat({ tools: TOOLS, response_format: format })),
      );
      expect(google.calls.map((call) => [call.body.response_format, call.body.tools])).toEqual([
        [format, TOOLS],
        [undefined, TOOLS],
      ]);
      expect(dispatched.dropped).toEqual(["response_format"]);
    },
  );

  test("a Responses caller's text.format with tools: sent again without it, named text.format", async () => {
    const google = gemini();
    const dispatched = await routerFor(routed(), [google]).router(
      chatRequest(
        "m",
        responsesCall({
          model: "m",
          input: "hi",
          tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
          text: { format: { type: "json_schema", name: "out", schema: { type: "object" } } },
        }),
      ),
    );
    expect(google.calls.map((call) => call.body.response_format === undefined)).toEqual([false, true]);
    expect(dispatched.dropped).toEqual(["text.format"]);
  });

  test.each([
    [
      "output_config.format",
      { output_config: { format: { type: "json_schema", schema: { type: "object" } } } },
    ],
    ["output_format", { output_format: { type: "json_schema", schema: { type: "object" } } }],
  ])(
    "a Messages caller's %s with tools (the Claude Agent SDK's structured output): sent again without it, so named",
    async (name, format) => {
      const google = gemini();
      const dispatched = await routerFor(routed(), [google]).router(
        chatRequest("m", {
          operation: "messages",
          body: {
            model: "m",
            max_tokens: 1024,
            messages: [{ role: "user", content: "hi" }],
            tools: [{ name: "f", input_schema: { type: "object" } }],
            ...format,
          },
        }),
      );
      expect(
        google.calls.map((call) => [call.body.response_format !== undefined, call.body.tools !== undefined]),
      ).toEqual([
        [true, true],
        [false, true],
      ]);
      expect(dispatched.dropped).toEqual([name]);
    },
  );

  test("under translation.unsupported: reject, the refusal is the caller's", async () => {
    const google = gemini();
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [google]);
    const refused = await refusedBy(
      router,
      chatRequest("m", chat({ tools: TOOLS, response_format: SCHEMA })),
    );
    expect([refused.status, google.calls.length]).toEqual([400, 1]);
    expect(refused.message).toContain("Function calling with a response mime type");
  });
});

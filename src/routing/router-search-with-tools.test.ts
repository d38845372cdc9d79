import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import type { DispatchRequest } from "./router.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { COMPLETION, oneRoute, refusal, refusedBy } from "./router-unsupported-fixture.ts";

describe("web_search_options beside function tools, which Gemini before 3 refuses together", () => {
  // Google's words: Gemini 2.x answers Google Search beside function declarations so
  // (googleapis/go-genai#323); Gemini 3 asks for a setting that changes its answer's parts
  // (open-webui functions #159: "Please enable tool_config.include_server_side_tool_invocations …").
  const refused = (message: string) => ({ error: { code: 400, message, status: "INVALID_ARGUMENT" } });
  const WORDS = [
    "Tool use with function calling is unsupported",
    "Tool use with function calling is unsupported by the model.",
    "Please enable tool_config.include_server_side_tool_invocations to use Built-in tools with Function calling.",
  ];
  const TOOLS = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
  const gemini = (message: string) => ({
    ...fakeProvider("p", (call) =>
      call.body.web_search_options !== undefined && call.body.tools !== undefined
        ? Promise.reject(refusal("p", refused(message)))
        : Promise.resolve(jsonReply(COMPLETION)),
    ),
    chatTarget: GEMINI_TARGET,
  });
  const chat = (fields: JsonObject): Partial<DispatchRequest> => ({
    body: { model: "m", messages: [{ role: "user", content: "hi" }], ...fields },
  });
  const routed = (policy: object = {}) => oneRoute("gemini", "gemini-2.5-flash", policy);

  test.each(WORDS)(
    "%s: sent again without the search, the tools kept, web_search_options named",
    async (words) => {
      const google = gemini(words);
      const dispatched = await routerFor(routed(), [google]).router(
        chatRequest("m", chat({ tools: TOOLS, web_search_options: {} })),
      );
      expect(google.calls.map((call) => [call.body.web_search_options, call.body.tools])).toEqual([
        [{}, TOOLS],
        [undefined, TOOLS],
      ]);
      expect(dispatched.dropped).toEqual(["web_search_options"]);
    },
  );

  test("under translation.unsupported: reject, the refusal is the caller's", async () => {
    const google = gemini(WORDS[0] ?? "");
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [google]);
    const answer = await refusedBy(router, chatRequest("m", chat({ tools: TOOLS, web_search_options: {} })));
    expect([answer.status, google.calls.length]).toEqual([400, 1]);
    expect(answer.message).toContain("Tool use with function calling is unsupported");
  });

  test("the words without function tools beside the search, or without the search: no second call, the refusal the route's", async () => {
    for (const fields of [{ web_search_options: {} }, { tools: TOOLS, web_search_options: null }]) {
      const google = {
        ...fakeProvider("p", () => Promise.reject(refusal("p", refused(WORDS[0] ?? "")))),
        chatTarget: GEMINI_TARGET,
      };
      const answer = await refusedBy(routerFor(routed(), [google]).router, chatRequest("m", chat(fields)));
      expect([answer.status, google.calls.length]).toEqual([400, 1]);
    }
  });
});

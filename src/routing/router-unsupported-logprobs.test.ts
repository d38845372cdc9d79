import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import type { DispatchRequest } from "./router.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { COMPLETION, oneRoute, refusal, refusedBy, responsesCall } from "./router-unsupported-fixture.ts";

describe("logprobs, which some Gemini models refuse", () => {
  // Google's words: the Gemini API's now and before, and Vertex AI's.
  const REFUSALS = [
    "Logprobs is not enabled for models/gemini-2.5-pro",
    "Logprobs is not supported for the current model.",
    "Unable to submit request because Logprobs is not supported for this model.",
    // Words not seen from Google but of the kind others report of its streaming API: any refusal
    // naming logprobs as unsupported is one (a streamed call that went through with them dropped
    // before logprobs were carried must not fail now).
    "responseLogprobs is not supported in streaming mode.",
    "Streaming is unsupported with response_logprobs",
  ];
  const refused = (message: string) => ({ error: { code: 400, message, status: "INVALID_ARGUMENT" } });
  /** A Gemini route whose model gives no log probabilities: the chat body goes to the provider, which translates it. */
  const gemini = (message = REFUSALS[0] ?? "") => ({
    ...fakeProvider("p", (call) =>
      call.body.logprobs === true
        ? Promise.reject(refusal("p", refused(message)))
        : Promise.resolve(jsonReply(COMPLETION)),
    ),
    chatTarget: GEMINI_TARGET,
  });
  const chat = (fields: JsonObject): Partial<DispatchRequest> => ({
    body: { model: "m", messages: [{ role: "user", content: "hi" }], ...fields },
  });
  const routed = (policy: object = {}) => oneRoute("gemini", "gemini-2.5-pro", policy);

  test.each(REFUSALS)(
    "%s: sent again once without logprobs and top_logprobs, the rest kept, both named as dropped",
    async (message) => {
      const google = gemini(message);
      const dispatched = await routerFor(routed(), [google]).router(
        chatRequest("m", chat({ temperature: 0.3, logprobs: true, top_logprobs: 3 })),
      );
      expect(
        google.calls.map((call) => [call.body.logprobs, call.body.top_logprobs, call.body.temperature]),
      ).toEqual([
        [true, 3, 0.3],
        [undefined, undefined, 0.3],
      ]);
      expect(dispatched.dropped).toEqual(["logprobs", "top_logprobs"]);
    },
  );

  test("logprobs alone: only it named", async () => {
    const google = gemini();
    const dispatched = await routerFor(routed(), [google]).router(chatRequest("m", chat({ logprobs: true })));
    expect(google.calls).toHaveLength(2);
    expect(dispatched.dropped).toEqual(["logprobs"]);
  });

  test("a Responses caller's top_logprobs: sent again without it, named top_logprobs", async () => {
    const google = gemini();
    const dispatched = await routerFor(routed(), [google]).router(
      chatRequest("m", responsesCall({ model: "m", input: "hi", top_logprobs: 2 })),
    );
    expect(google.calls.map((call) => [call.body.logprobs, call.body.top_logprobs])).toEqual([
      [true, 2],
      [undefined, undefined],
    ]);
    expect(dispatched.dropped).toEqual(["top_logprobs"]);
  });

  test("a model that gives them is asked once, nothing dropped", async () => {
    const google = {
      ...fakeProvider("p", () => Promise.resolve(jsonReply(COMPLETION))),
      chatTarget: GEMINI_TARGET,
    };
    const dispatched = await routerFor(routed(), [google]).router(
      chatRequest("m", chat({ logprobs: true, top_logprobs: 3 })),
    );
    expect(google.calls).toHaveLength(1);
    expect(dispatched.dropped ?? []).toEqual([]);
  });

  test("under translation.unsupported: reject, the refusal is the caller's", async () => {
    const google = gemini();
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [google]);
    const refusedCall = await refusedBy(router, chatRequest("m", chat({ logprobs: true, top_logprobs: 3 })));
    expect([refusedCall.status, google.calls.length]).toEqual([400, 1]);
    expect(refusedCall.message).toContain("Logprobs is not enabled");
  });
});

import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import type { DispatchRequest } from "./router.ts";
import { chatRequest, type FakeProvider, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { COMPLETION, oneRoute, refusal, refusedBy } from "./router-unsupported-fixture.ts";

describe("presence and frequency penalties, which Gemini 2.5 and later refuse", () => {
  // Google's words (Gemini API; Vertex AI's are the same): only gemini-2.0-flash takes a penalty,
  // and no model refuses one of 0.
  const PENALTY_REFUSED = {
    error: {
      code: 400,
      message: "Penalty is not enabled for models/gemini-2.5-flash",
      status: "INVALID_ARGUMENT",
    },
  };
  const penalized = (body: JsonObject) =>
    [body.presence_penalty, body.frequency_penalty].some((p) => typeof p === "number" && p !== 0);
  /** A Gemini route: the chat body goes to the provider, which translates it in its call. */
  const gemini = () => ({
    ...fakeProvider("p", (call) =>
      penalized(call.body)
        ? Promise.reject(refusal("p", PENALTY_REFUSED))
        : Promise.resolve(jsonReply(COMPLETION)),
    ),
    chatTarget: GEMINI_TARGET,
  });
  const penalties = (provider: FakeProvider) =>
    provider.calls.map((call) => [call.body.presence_penalty, call.body.frequency_penalty]);
  const chat = (fields: JsonObject): Partial<DispatchRequest> => ({
    body: { model: "m", messages: [{ role: "user", content: "hi" }], ...fields },
  });
  const routed = (policy: object = {}) => oneRoute("gemini", "gemini-2.5-flash", policy);

  test("sent again once without both penalties (the refusal names neither), the rest kept, both named as dropped", async () => {
    const google = gemini();
    const dispatched = await routerFor(routed(), [google]).router(
      chatRequest("m", chat({ temperature: 0.3, presence_penalty: 0.5, frequency_penalty: 0.4 })),
    );
    expect(penalties(google)).toEqual([
      [0.5, 0.4],
      [undefined, undefined],
    ]);
    expect(google.calls.map((call) => call.body.temperature)).toEqual([0.3, 0.3]);
    expect(dispatched.dropped).toEqual(["presence_penalty", "frequency_penalty"]);
  });

  test("a penalty of 0, which Gemini does not refuse, is kept; only the other goes", async () => {
    const google = gemini();
    const dispatched = await routerFor(routed(), [google]).router(
      chatRequest("m", chat({ presence_penalty: 0, frequency_penalty: 0.4 })),
    );
    expect(penalties(google)).toEqual([
      [0, 0.4],
      [0, undefined],
    ]);
    expect(dispatched.dropped).toEqual(["frequency_penalty"]);
  });

  test("under translation.unsupported: reject, the refusal is the caller's", async () => {
    const google = gemini();
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [google]);
    const refused = await refusedBy(router, chatRequest("m", chat({ frequency_penalty: 0.4 })));
    expect([refused.status, google.calls.length]).toEqual([400, 1]);
    expect(refused.message).toContain("Penalty is not enabled");
  });
});

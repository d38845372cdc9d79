import { describe, expect, test } from "bun:test";
import type { CloudAnswer } from "../../test/fake-cloud/cloud-script.ts";
import type { JsonObject } from "../core/dialect.ts";
import { responsesCall, routed } from "./bedrock-router-kit.ts";
import { chatRequest } from "./router-test-kit.ts";

// A temperature OpenAI takes (up to 2) and Converse does not (InferenceConfiguration.temperature:
// 0 to 1, for every model), through the router to the real Bedrock provider: clamped and named, as
// toward Anthropic, where Bedrock would refuse the call.

const ANSWER: CloudAnswer = { text: "Hi.", inputTokens: 5, outputTokens: 2, stop: { reason: "end_turn" } };

const sentTemperature = (sent: JsonObject[]) =>
  (sent[0]?.inferenceConfig as JsonObject | undefined)?.temperature;

describe("a temperature over 1 toward Bedrock Converse", () => {
  test.each([
    ["Claude", "us.anthropic.claude-sonnet-4-5-v1:0"],
    ["Llama", "meta.llama3-3-70b-instruct-v1:0"],
  ])("a chat caller's 1.5 to %s: sent as 1, named", async (_, model) => {
    const { router, sent } = routed(ANSWER, model);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 1.5 };
    const dispatched = await router(chatRequest("m", { body }));
    expect(sentTemperature(sent)).toBe(1);
    expect(dispatched.dropped).toEqual(["temperature (clamped to 1)"]);
  });

  test("a Responses caller's 2: sent as 1, named", async () => {
    const { router, sent } = routed(ANSWER);
    const call = responsesCall(false);
    const dispatched = await router(chatRequest("m", { ...call, body: { ...call.body, temperature: 2 } }));
    expect(sentTemperature(sent)).toBe(1);
    expect(dispatched.dropped).toEqual(["temperature (clamped to 1)"]);
  });

  test("one within Converse's range goes as sent, nothing named", async () => {
    const { router, sent } = routed(ANSWER);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0.7 };
    const dispatched = await router(chatRequest("m", { body }));
    expect(sentTemperature(sent)).toBe(0.7);
    expect(dispatched.dropped ?? []).toEqual([]);
  });

  test("under translation.unsupported: reject, refused before anything is sent", async () => {
    const { router, sent } = routed(ANSWER, undefined, { translation: { unsupported: "reject" } });
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 1.5 };
    const refused = await router(chatRequest("m", { body })).then(
      () => undefined,
      (error: unknown) => error as { status?: number; param?: string },
    );
    expect([refused?.status, refused?.param]).toEqual([400, "temperature"]);
    expect(sent).toEqual([]);
  });
});

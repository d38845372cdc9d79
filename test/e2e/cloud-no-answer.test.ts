import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { cloudFailuresFixture } from "./harness/cloud-failures-fixture.ts";

// A cloud vendor's 200 with no answer in it (harness/cloud-gateway.ts), whose answer the gateway's
// own provider builds: an upstream fault, as an HTTP upstream's {"choices": []} is
// (test/e2e/error-fidelity-failed-answers.test.ts).

const { chat, chatFailure, failNext, messagesFailure, rowOf } = cloudFailuresFixture();

describe("a cloud vendor's 200 with no answer in it", () => {
  test("Gemini's answer without a candidate: an OpenAI caller gets no empty choices but the gateway's 502, an Anthropic caller its api_error; another route serves", async () => {
    failNext({ status: 200, type: "", message: "", noCandidates: true });
    const error = await chatFailure("gemini-flash");
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_error",
      "502 upstream gm sent a body with no answer in it",
    ]);
    const row = await rowOf(error);
    expect(row.status).toBe(502);
    failNext({ status: 200, type: "", message: "", noCandidates: true });
    const across = await messagesFailure("gemini-flash", 16);
    expect([across.status, (across.error as { error: { type: string } }).error.type]).toEqual([
      502,
      "api_error",
    ]);
    failNext({ status: 200, type: "", message: "", noCandidates: true });
    const served = await chat("gemini-then-azure");
    expect(served.choices[0]?.message.content).toBeString();
  });
});

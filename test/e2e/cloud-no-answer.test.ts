import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { cloudFailuresFixture } from "./harness/cloud-failures-fixture.ts";
import { anthropicFailure, openaiFailure } from "./harness/sdk-failure.ts";

// A cloud vendor's 200 with no answer in it (harness/cloud-gateway.ts), whose answer the gateway's
// own provider builds: an upstream fault, as an HTTP upstream's {"choices": []} is
// (test/e2e/error-fidelity-failed-answers.test.ts).

const { chat, chatFailure, clouds, failNext, messagesFailure, rowOf } = cloudFailuresFixture();

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

// Gemini's stream of the same (`streamGenerateContent?alt=sse`): its one event has no candidate and
// no block, its usage alone, then the body's end. Nothing was answered: the upstream's fault, as
// the whole answer is, not a stream cut short; a blocked prompt is the block it is, in each dialect.
describe("a Gemini or Vertex AI stream without a candidate", () => {
  const VENDORS = [
    ["gemini-flash", "gm"],
    ["vertex-flash", "vx"],
  ] as const;

  for (const [model, provider] of VENDORS)
    test(`${model}: usage alone, an OpenAI caller's stream the gateway's 502 naming upstream ${provider}, an Anthropic caller's its api_error`, async () => {
      failNext({ status: 200, type: "", message: "", noCandidates: true });
      const error = await openaiFailure(
        clouds.openai.chat.completions.create({
          model,
          messages: [{ role: "user", content: "x" }],
          stream: true,
        }),
      );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect([error.status, error.code, error.message]).toEqual([
        502,
        "upstream_error",
        `502 upstream ${provider} sent a body with no answer in it`,
      ]);
      expect((await rowOf(error)).status).toBe(502);
      failNext({ status: 200, type: "", message: "", noCandidates: true });
      const across = await anthropicFailure(
        clouds.anthropic.messages.create({
          model,
          max_tokens: 16,
          messages: [{ role: "user", content: "x" }],
          stream: true,
        }),
      );
      const said = (across.error as { error: { type: string; message: string } }).error;
      expect([across.status, said.type, said.message]).toEqual([
        502,
        "api_error",
        `upstream ${provider} sent a body with no answer in it`,
      ]);
    });

  test("usage alone on the first route: the next route serves the stream", async () => {
    failNext({ status: 200, type: "", message: "", noCandidates: true });
    const stream = await clouds.openai.chat.completions.create({
      model: "gemini-then-azure",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).not.toBe("");
  });

  test("a blocked prompt (promptFeedback.blockReason): content_filter to an OpenAI caller, refusal to an Anthropic caller", async () => {
    failNext({ status: 200, type: "", message: "", blockReason: "PROHIBITED_CONTENT" });
    const finishes: Array<string | null | undefined> = [];
    for await (const chunk of await clouds.openai.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    }))
      finishes.push(chunk.choices[0]?.finish_reason);
    expect(finishes.filter(Boolean)).toEqual(["content_filter"]);
    failNext({ status: 200, type: "", message: "", blockReason: "PROHIBITED_CONTENT" });
    const message = await clouds.anthropic.messages
      .stream({ model: "vertex-flash", max_tokens: 16, messages: [{ role: "user", content: "x" }] })
      .finalMessage();
    expect([message.stop_reason, message.content]).toEqual(["refusal", []]);
  });
});

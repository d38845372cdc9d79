import { describe, expect, setDefaultTimeout, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { auditRow } from "./harness/admin-api.ts";
import { CAP, SHADOW_TIMEOUT_MS, shadowFixture } from "./harness/shadow-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// A shadow's failures are its own: a copy's stream cut short or ending in an error event fails as
// the primary's would, and shadows that hang never slow the client.

const shadow = shadowFixture();
const { client, pairOf, shadowMetrics, shadowPage } = shadow;

const anthropic = () => new Anthropic({ baseURL: shadow.gw.url, apiKey: shadow.admin, maxRetries: 0 });

/**
 * `model` asked "one two three four" by a caller of `dialect`, whole or streamed, its answer read to
 * its end: the primary's echo, or (`failing`) a stream that ends in the upstream's error. The
 * request's id.
 */
async function asked(
  dialect: "openai" | "anthropic",
  model: string,
  stream: boolean,
  failing = false,
): Promise<string> {
  const messages = [{ role: "user" as const, content: "one two three four" }];
  let text = "";
  let response: Response;
  let read = Promise.resolve();
  if (dialect === "openai" && stream) {
    const streamed = await client().chat.completions.create({ model, messages, stream }).withResponse();
    read = (async () => {
      for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? "";
    })();
    response = streamed.response;
  } else if (dialect === "openai") {
    const whole = await client().chat.completions.create({ model, messages }).withResponse();
    text = whole.data.choices[0]?.message.content ?? "";
    response = whole.response;
  } else if (stream) {
    const streamed = await anthropic()
      .messages.create({ model, max_tokens: 64, messages, stream })
      .withResponse();
    read = (async () => {
      for await (const event of streamed.data)
        if (event.type === "content_block_delta" && event.delta.type === "text_delta")
          text += event.delta.text;
    })();
    response = streamed.response;
  } else {
    const whole = await anthropic().messages.create({ model, max_tokens: 64, messages }).withResponse();
    text = whole.data.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    response = whole.response;
  }
  if (failing)
    expect(
      await read.then(
        () => "whole",
        () => "failed",
      ),
    ).toBe("failed");
  else {
    await read;
    expect(text).toBe("echo: one two three four");
  }
  return response.headers.get("x-request-id") ?? "";
}

// The same upstream fails alike on both sides of a pair: a copy's stream that ends without its
// end marker is the copy's failure (502), and one that ends in an error event fails with the status
// that event stands for (OpenAI's `server_error` 500, Anthropic's `overloaded_error` 529), as the
// primary's does in its audit row.
describe("a shadow stream cut short or ending in an error event is its failure", () => {
  for (const [model, twin, dialect, status] of [
    ["cut", "twin-cut", "openai", 502],
    ["errev", "twin-errev", "openai", 500],
    ["a-cut", "claude-cut", "anthropic", 502],
    ["a-errev", "claude-errev", "anthropic", 529],
  ] as const) {
    test(`${model}: the client has its whole answer; the copy is recorded ${status} upstream_error and counted so`, async () => {
      const failedBefore = (await shadowMetrics()).copies(twin, "upstream_error");
      const pair = await pairOf(await asked(dialect, model, true));
      expect(pair.primary.status).toBe(200);
      expect(pair.shadow).toMatchObject({ status, errorClass: "upstream_error", answer: null });
      expect(pair.shadow.costUsd).toBe(0);
      expect(pair.agreement.exact).toBeNull();
      const counted = await waitFor(`the ${model} copy counted`, async () => {
        const now = await shadowMetrics();
        return now.copies(twin, "upstream_error") === failedBefore + 1 ? now : undefined;
      });
      expect(counted.copies(twin, "ok")).toBe(0);
    });
  }

  for (const [model, dialect] of [
    ["errev-both", "openai"],
    ["a-errev-both", "anthropic"],
  ] as const) {
    test(`${model}: both sides fail on the same error event, and the pair records them alike`, async () => {
      const pair = await pairOf(await asked(dialect, model, true, true));
      expect(pair.primary.status).toBeGreaterThanOrEqual(500);
      expect(pair.shadow).toMatchObject({
        status: pair.primary.status,
        errorClass: pair.primary.errorClass,
        answer: null,
      });
    });
  }
});

// A copy answered with no answer in it (chunks without a choice then [DONE], {"choices": []}, a
// Messages answer without content) is the candidate's failure, the 502 the primary's route would
// answer for it, whether its upstream speaks the caller's dialect or the copy was translated for it.
// A Messages answer is one once its `content` list is there (Claude's `content: []` at `end_turn`):
// without it the no-answer check fails it, and its translation for a chat caller, which needs the
// list, would too; so that case pins the copy's outcome, not which of the two failed it.
describe("a copy with no answer in it fails, same dialect or translated", () => {
  for (const [model, caller, stream, candidate] of [
    ["no-choice", "openai", true, "OpenAI-dialect, as the caller"],
    ["a-no-choice", "anthropic", true, "OpenAI-dialect, translated for a Messages caller"],
    ["a-no-choice-whole", "anthropic", false, "OpenAI-dialect, translated for a Messages caller"],
    [
      "no-content-whole",
      "openai",
      false,
      "Anthropic-dialect, for a chat caller (its translation refuses it too)",
    ],
  ] as const)
    test(`${model}: ${stream ? "streamed" : "whole"} by a candidate ${candidate}: the copy recorded 502 upstream_error, no answer`, async () => {
      const vendor = candidate.startsWith("OpenAI") ? "oa-vendor" : "an-vendor";
      const failedBefore = (await shadowMetrics()).copies(vendor, "upstream_error");
      const pair = await pairOf(await asked(caller, model, stream));
      expect(pair.primary.status).toBe(200);
      expect(pair.shadow).toMatchObject({ status: 502, errorClass: "upstream_error", answer: null });
      expect(pair.agreement.exact).toBeNull();
      // Counted against the candidate, as a failed copy is.
      await waitFor(`the ${model} copy counted`, async () =>
        (await shadowMetrics()).copies(vendor, "upstream_error") === failedBefore + 1 ? true : undefined,
      );
    });
});

describe("a shadow never slows the client", () => {
  test("shadows that hang: every primary answers, the copies over the cap are shed, the rest time out", async () => {
    const before = (await shadowPage()).counts?.shed ?? -1;
    const timeoutsBefore = (await shadowMetrics()).copies("hanger", "upstream_timeout");
    const calls = Array.from({ length: 6 }, (_, i) =>
      client()
        .chat.completions.create({ model: "hangs", messages: [{ role: "user", content: `call ${i}` }] })
        .withResponse(),
    );
    const answers = await Promise.all(calls);
    // All six answered while the shadows still hang: nothing of the shadow's is recorded yet.
    const atAnswer = await shadowPage({ model: "hangs" });
    expect(answers.every(({ data }) => data.choices[0]?.message.content?.startsWith("echo: call"))).toBe(
      true,
    );
    expect(atAnswer.records).toHaveLength(0);
    expect((atAnswer.counts?.shed ?? -1) - before).toBe(6 - CAP);
    expect(atAnswer.counts?.inFlight).toBe(CAP);
    // The same counts on /metrics, for alerting on a cap set too low.
    const atAnswerMetrics = await shadowMetrics();
    expect(atAnswerMetrics.shed).toBe(atAnswer.counts?.shed ?? -1);
    expect(atAnswerMetrics.inFlight).toBe(CAP);
    for (const { response } of answers) {
      const row = await auditRow(shadow.gw, response.headers.get("x-request-id") ?? "");
      expect(row.status).toBe(200);
      expect(row.latencyMs).toBeLessThan(SHADOW_TIMEOUT_MS);
    }
    // The copies in flight end at their own timeout, recorded as such.
    const timedOut = await waitFor(
      "the hanging shadows to time out",
      async () => {
        const page = await shadowPage({ model: "hangs" });
        return page.records.length === CAP ? page.records : undefined;
      },
      SHADOW_TIMEOUT_MS + 15_000,
      100,
    );
    for (const pair of timedOut) {
      expect(pair.primary.status).toBe(200);
      expect(pair.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout", answer: null });
      expect(pair.agreement.exact).toBeNull();
    }
    // Counted as timed out; a shed copy is no copy that ended.
    const over = await waitFor("the timed-out copies counted", async () => {
      const now = await shadowMetrics();
      return now.inFlight === 0 ? now : undefined;
    });
    expect(over.copies("hanger", "upstream_timeout") - timeoutsBefore).toBe(CAP);
  });
});

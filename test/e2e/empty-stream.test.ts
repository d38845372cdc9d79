import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { auditRow } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

// An upstream that answers a stream request 200 `text/event-stream` with no body at all
// (`content-length: 0`: a proxy, or a server that failed before its first event) has answered
// nothing: the attempt fails at once and the next route serves. Before, the gateway's own HTTP
// client waited for a body that had ended, until the upstream closed its idle connection (10 s
// for Bun's server, minutes for others) or the attempt's `first_byte` timeout fired.

/** Longer than a loaded machine's stall, shorter than the canned upstream's idle close (10 s). */
const FIRST_BYTE = "5s";
let emptyUp: CannedUpstream;
const f = gatewayFixture({
  config: (fakeUrl, { own }) => {
    emptyUp = own(startCannedUpstream());
    return {
      providers: [
        { name: "empty", type: "openai", base_url: `${emptyUp.url}/v1` },
        { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
      ],
      models: [
        {
          name: "empty-then-fake",
          routes: [
            { provider: "empty", model: "up-empty", timeouts: { first_byte: FIRST_BYTE } },
            { provider: "fake", model: "fake-model" },
          ],
        },
      ],
      routing: { retries: 0 },
    };
  },
});

const EMPTY_STREAM = { status: 200, headers: { "content-type": "text/event-stream" }, body: "" };

/** The attempts of a request's audit row: where each went and how it ended. */
async function attempts(requestId: string | null) {
  const row = await auditRow(f.gw, requestId ?? "");
  return { status: row.status, attempts: (row.attempts ?? []).map((a) => [a.route, a.errorClass]) };
}

describe("a stream request answered 200 with an empty body", () => {
  test("an OpenAI chat stream: the empty answer fails at once as the upstream's, and the next route answers", async () => {
    emptyUp.queue(EMPTY_STREAM);
    const openai = new OpenAI({ baseURL: `${f.gw.url}/v1`, apiKey: f.adminKey, maxRetries: 0 });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: "empty-then-fake", messages: [{ role: "user", content: "one two" }], stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("one two");
    expect(await attempts(response.headers.get("x-request-id"))).toEqual({
      status: 200,
      attempts: [
        ["provider:empty", "upstream_error"],
        ["provider:fake", null],
      ],
    });
  });

  test("an Anthropic Messages stream, translated: the same", async () => {
    emptyUp.queue(EMPTY_STREAM);
    const anthropic = new Anthropic({ baseURL: f.gw.url, apiKey: f.adminKey, maxRetries: 0 });
    const { data: stream, response } = await anthropic.messages
      .create({
        model: "empty-then-fake",
        max_tokens: 20,
        messages: [{ role: "user", content: "three four" }],
        stream: true,
      })
      .withResponse();
    let text = "";
    for await (const event of stream) {
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    }
    expect(text).toContain("three four");
    expect(await attempts(response.headers.get("request-id"))).toEqual({
      status: 200,
      attempts: [
        ["provider:empty", "upstream_error"],
        ["provider:fake", null],
      ],
    });
  });
});

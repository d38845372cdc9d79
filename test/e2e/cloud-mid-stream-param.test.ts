import { beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { cloudGateway, INPUT_TOO_LONG } from "./harness/cloud-gateway.ts";
import { drained, openaiFailure } from "./harness/sdk-failure.ts";

// An error that names the caller's field, told after a translated stream began (harness/
// cloud-gateway.ts): a Responses caller reads it in its own API's names, as it reads the same error
// told before the stream (`param: "input"` for a conversation too long, not chat's `messages`).

const clouds = cloudGateway();
let cloud: FakeCloud;
let openai: OpenAI;
beforeAll(() => {
  ({ cloud, openai } = clouds);
});

/** The [code, param] of what the official SDK threw (it reads an `error` event's too, openai/core/streaming.mjs). */
const codeAndParam = ({ code, param }: { code?: string | null; param?: string | null }) => [code, param];

describe("an error naming the conversation, mid-stream, to a Responses caller", () => {
  test("Bedrock's ValidationException in the stream names `input`, as the same refusal before the stream does", async () => {
    cloud.failNext(INPUT_TOO_LONG);
    const ask = { model: "claude-bedrock", input: "stream a long one please", stream: true } as const;
    const before = await openaiFailure(openai.responses.create(ask));
    expect(codeAndParam(before)).toEqual(["context_length_exceeded", "input"]);
    cloud.failNext({ ...INPUT_TOO_LONG, midStream: true });
    const midStream = await openaiFailure(drained(await openai.responses.create(ask)));
    expect(codeAndParam(midStream)).toEqual(["context_length_exceeded", "input"]);
  });

  test("a chat caller's stream still names its own `messages`", async () => {
    cloud.failNext({ ...INPUT_TOO_LONG, midStream: true });
    const stream = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "stream a long one please" }],
      stream: true,
    });
    expect(codeAndParam(await openaiFailure(drained(stream)))).toEqual([
      "context_length_exceeded",
      "messages",
    ]);
  });
});

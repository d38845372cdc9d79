import { describe, expect, test } from "bun:test";
import type { CloudAnswer } from "../../test/fake-cloud/cloud-script.ts";
import type { JsonObject } from "../core/dialect.ts";
import { choiceOf, messagesCall, responsesCall, routed, streamed, whole } from "./bedrock-router-kit.ts";
import { chatRequest } from "./router-test-kit.ts";

// How Converse said the turn ended (`stopReason`, and Claude's matched stop sequence beside it)
// reaches each caller's dialect, whole and streamed, from the real Bedrock provider.

const answer = (stop: CloudAnswer["stop"]): CloudAnswer => ({
  text: "The story goes on",
  inputTokens: 10,
  outputTokens: 4,
  stop,
});

/** A chat answer's finish_reason, whole or streamed. */
async function chatFinish(router: ReturnType<typeof routed>["router"], stream: boolean) {
  const reply = await router(
    chatRequest("m", { stream, body: { model: "m", stream, messages: [{ role: "user", content: "go" }] } }),
  );
  if (!stream) return choiceOf(whole(reply)).finish_reason;
  const finishes = (await streamed(reply)).flatMap((chunk) =>
    ((chunk.choices as JsonObject[] | undefined) ?? []).flatMap((choice) =>
      choice.finish_reason ? [choice.finish_reason] : [],
    ),
  );
  return finishes.join(",");
}

/** An Anthropic answer's stop_reason and stop_sequence, whole or streamed (its message_delta's). */
async function messagesStop(router: ReturnType<typeof routed>["router"], stream: boolean) {
  const reply = await router(chatRequest("m", messagesCall(stream)));
  const said = stream
    ? ((await streamed(reply)).find((event) => event.type === "message_delta")?.delta as JsonObject)
    : whole(reply);
  return { stop_reason: said.stop_reason, stop_sequence: said.stop_sequence };
}

/** A Responses answer's status and incomplete_details, whole or streamed (its last event's response). */
async function responsesEnd(router: ReturnType<typeof routed>["router"], stream: boolean) {
  const reply = await router(chatRequest("m", responsesCall(stream)));
  const response = stream ? ((await streamed(reply)).at(-1)?.response as JsonObject) : whole(reply);
  return { status: response.status, incomplete_details: response.incomplete_details };
}

describe("Converse's model_context_window_exceeded", () => {
  const { router } = routed(answer({ reason: "model_context_window_exceeded" }));

  test.each([false, true])(
    "an Anthropic caller gets Anthropic's own stop reason for it (stream %p)",
    async (stream) => {
      expect(await messagesStop(router, stream)).toEqual({
        stop_reason: "model_context_window_exceeded",
        stop_sequence: null,
      });
    },
  );

  test.each([false, true])("a chat caller gets length (stream %p)", async (stream) => {
    expect(await chatFinish(router, stream)).toBe("length");
  });

  test.each([false, true])(
    "a Responses caller an incomplete response, max_output_tokens (stream %p)",
    async (stream) => {
      expect(await responsesEnd(router, stream)).toEqual({
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
      });
    },
  );
});

describe("Converse's max_tokens is still max_tokens", () => {
  const { router } = routed(answer({ reason: "max_tokens" }));

  test.each([false, true])("to an Anthropic caller (stream %p)", async (stream) => {
    expect(await messagesStop(router, stream)).toEqual({ stop_reason: "max_tokens", stop_sequence: null });
    expect(await chatFinish(router, stream)).toBe("length");
  });
});

describe("Converse's stop_sequence", () => {
  test.each([false, true])(
    "an Anthropic caller gets stop_sequence and the sequence Claude says matched (stream %p)",
    async (stream) => {
      const { router } = routed(answer({ reason: "stop_sequence", sequence: "###" }));
      expect(await messagesStop(router, stream)).toEqual({
        stop_reason: "stop_sequence",
        stop_sequence: "###",
      });
      expect(await chatFinish(router, stream)).toBe("stop");
    },
  );

  test.each([false, true])(
    "from a model that says no sequence: stop_sequence still, the sequence null (stream %p)",
    async (stream) => {
      const { router } = routed(answer({ reason: "stop_sequence" }), "meta.llama3-70b-instruct-v1:0");
      expect(await messagesStop(router, stream)).toEqual({
        stop_reason: "stop_sequence",
        stop_sequence: null,
      });
      expect(await chatFinish(router, stream)).toBe("stop");
    },
  );

  test.each([false, true])("end_turn is end_turn (stream %p)", async (stream) => {
    const { router } = routed(answer({ reason: "end_turn" }));
    expect(await messagesStop(router, stream)).toEqual({ stop_reason: "end_turn", stop_sequence: null });
  });
});

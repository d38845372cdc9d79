import { expect, test } from "bun:test";
import type { SseEvent } from "../../core/sse.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import { type ChoiceParts, type ChunkChoice, type ChunkToolCall, walkChoices } from "./chat-choice-walk.ts";

/** A ChoiceParts that writes down each part it is given, in order. */
class Recorded implements ChoiceParts {
  readonly said: string[] = [];
  onReasoning(text: string): void {
    this.said.push(`reasoning:${text}`);
  }
  onContent(text: string): void {
    this.said.push(`content:${text}`);
  }
  onNoContent(_choice: ChunkChoice): void {
    this.said.push("no content");
  }
  onRefusal(text: string): void {
    this.said.push(`refusal:${text}`);
  }
  onToolCall(call: ChunkToolCall): void {
    this.said.push(`call:${call.function?.name ?? call.function?.arguments}`);
  }
  onFinish(choice: ChunkChoice): void {
    this.said.push(`finish:${choice.finish_reason}`);
  }
}

const walked = (chunk: OpenAIChunk): string[] => {
  const parts = new Recorded();
  const out: SseEvent[] = [];
  walkChoices(chunk, undefined, parts, out);
  return parts.said;
};

test("every part of the first choice's delta, in one order: a refusal beside content too", () => {
  expect(
    walked({
      choices: [
        {
          index: 0,
          delta: {
            reasoning_content: "hm",
            content: "No.",
            refusal: " Policy.",
            tool_calls: [{ index: 0, function: { name: "f", arguments: "" } }],
          },
          finish_reason: "stop",
        },
      ],
    }),
  ).toEqual(["reasoning:hm", "content:No.", "refusal: Policy.", "call:f", "finish:stop"]);
});

test("a choice with no delta or no content is told so (its logprobs may say something); other choices are left", () => {
  expect(
    walked({
      choices: [
        { index: 1, delta: { content: "second answer" }, finish_reason: "stop" },
        { index: 0, finish_reason: "length" },
        { index: 0, delta: { reasoning: "" } },
      ],
    }),
  ).toEqual(["no content", "finish:length", "no content"]);
});

test("a chunk without choices (usage alone, null on some servers) walks nothing", () => {
  expect(walked({ choices: null })).toEqual([]);
  expect(walked({})).toEqual([]);
});

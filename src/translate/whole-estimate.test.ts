import { expect, test } from "bun:test";
import { estimatedWholeUsage } from "./whole-estimate.ts";

const PROMPT = { messages: [{ role: "user", content: "y".repeat(20) }] };

test("a whole answer's estimate counts the text the model wrote, not a reasoning blob beside it", () => {
  const text = { type: "text", text: "x".repeat(40) };
  const plain = estimatedWholeUsage(PROMPT, { content: [text] });
  // A thinking block's own text is the model's (billed as output); its signature is no text.
  const thinking = { type: "thinking", thinking: "t".repeat(8), signature: "S".repeat(400) };
  const withThinking = estimatedWholeUsage(PROMPT, { content: [thinking, text] });
  expect(withThinking.outputTokens).toBe(
    estimatedWholeUsage(PROMPT, { content: [{ ...thinking, signature: "" }, text] }).outputTokens,
  );
  expect(withThinking.outputTokens).toBeGreaterThan(plain.outputTokens);
  // A Responses reasoning item's encrypted content counts nothing either.
  const reasoning = { type: "reasoning", summary: [], encrypted_content: "E".repeat(400) };
  expect(
    estimatedWholeUsage(PROMPT, {
      output: [reasoning, { type: "message", content: [{ type: "output_text", text: "x".repeat(40) }] }],
    }).outputTokens,
  ).toBe(
    estimatedWholeUsage(PROMPT, {
      output: [{ type: "message", content: [{ type: "output_text", text: "x".repeat(40) }] }],
    }).outputTokens,
  );
});

import { expect, test } from "bun:test";
import { generatorsMade, thinkingAnswer } from "../testing/generators-made.ts";
import { ChatChunkWriter } from "./chat-chunk-writer.ts";

test.each([
  ["Claude's (no thinking back)", false, 0],
  ["DeepSeek's /anthropic (thinking back)", true, 300],
])(
  "%s: a thinking delta makes no generator of its own, one an event (bodies') and no more",
  (_, thinkingBack, reasoningChunks) => {
    const events = thinkingAnswer(300);
    const writer = new ChatChunkWriter("m", { includeUsage: true, created: 1, thinkingBack });
    let reasoning = 0;
    const made = generatorsMade(() => {
      for (const event of events)
        for (const { data } of writer.chunk(event)) if (data.includes('"reasoning_content"')) reasoning++;
    });
    expect(made).toBeLessThanOrEqual(events.length);
    expect(reasoning).toBe(reasoningChunks);
  },
);

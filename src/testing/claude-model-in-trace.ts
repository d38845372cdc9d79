import { expect, test } from "bun:test";
import { ASK } from "./answer-wire.ts";
import { type TracedRoute, tracedModels } from "./traced-models.ts";

/**
 * The cases every route that answers in Claude's own Messages form shares (Anthropic, Claude on
 * Bedrock's InvokeModel, Claude on Vertex AI): the message's `model` is the trace's
 * `gen_ai.response.model`, whole and streamed, to a Messages caller (who is also told it) and to
 * a chat one (told the model it asked for, `m`).
 */
export function claudeModelInTrace(name: string, route: TracedRoute, answered: string): void {
  test.each([
    ["messages", false, answered],
    ["messages", true, answered],
    ["chat", false, "m"],
    ["chat", true, "m"],
  ] as const)(
    `${name} to a %s caller (stream %p): the message's model in the trace`,
    async (dialect, stream, said) => {
      const [path, body] = ASK[dialect];
      expect(
        await tracedModels(route, path, { ...body, stream }, { "anthropic-version": "2023-06-01" }),
      ).toEqual({
        said,
        server: answered,
        attempt: answered,
      });
    },
  );
}

import { describe, expect, test } from "bun:test";
import { runInNetns } from "./clients/run-in-netns.ts";

// LangChain.js (@langchain/openai 1.6.0, @langchain/anthropic 1.5.11) through mindgw, on both
// upstream dialects: chat completions, the Responses API and Anthropic Messages; plain calls,
// streaming, tools and structured output; OpenAIEmbeddings' batch on the OpenAI-type one. Run with
// the gateway inside a loopback-only namespace.

describe.each(["openai", "anthropic"])("LangChain.js through mindgw, %s-type upstream", (upstream) => {
  test("every integration: invoke, stream, tools, structured output", async () => {
    const report = await runInNetns("langchain.scenario.ts", { upstream });
    expect(report.client.stderr).toBe("");
    const out = JSON.parse(report.client.stdout) as Record<string, unknown>;
    for (const name of ["chat", "responses", "anthropic"]) {
      expect(JSON.stringify(out[`${name}.invoke`])).toContain("echo: hello there");
      expect(out[`${name}.stream`]).toBe("echo: stream this please");
      // ChatAnthropic reads input tokens from message_start alone: on an OpenAI-type upstream,
      // whose stream says its usage at the end, that is the gateway's estimate, not 0.
      const usage = out[`${name}.streamUsage`] as { input_tokens?: number } | undefined;
      expect(usage?.input_tokens ?? 0).toBeGreaterThan(0);
      expect(out[`${name}.tools`]).toEqual([{ name: "get_weather", args: { city: "Paris", days: 3 } }]);
      expect(out[`${name}.structured`]).toEqual({
        forecast: expect.stringContaining("echo: forecast please"),
      });
    }
    // A hundred chunks in one request, on routes of an 8,192-token window that each fits alone.
    if (upstream === "openai") expect(out["embeddings.documents"]).toBe(100);
  });
});

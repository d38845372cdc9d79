import { describe, expect, test } from "bun:test";
import { runInNetns, seen } from "./clients/run-in-netns.ts";

// The Vercel AI SDK (ai 7.0.173, @ai-sdk/openai 4.0.118, @ai-sdk/anthropic 4.0.105) through mindgw,
// on both upstream dialects: the Responses API (the OpenAI provider's default), chat completions
// and Anthropic Messages; a plain call, a stream, a tool call, structured output and a second turn
// (the Responses provider sends the first answer back as an item_reference). Run with the gateway
// inside a loopback-only namespace.

describe.each(["openai", "anthropic"])("the Vercel AI SDK through mindgw, %s-type upstream", (upstream) => {
  test("every provider: text, stream, tools, structured output, a second turn", async () => {
    const report = await runInNetns("ai-sdk.scenario.ts", { upstream });
    expect(report.client.stderr).toBe("");
    const out = JSON.parse(report.client.stdout) as Record<string, unknown>;
    for (const name of ["responses", "chat", "anthropic"]) {
      expect({ name, text: out[`${name}.text`] }).toEqual({ name, text: "echo: hello there" });
      expect({ name, stream: out[`${name}.stream`] }).toEqual({ name, stream: "echo: stream this please" });
      expect({ name, tools: out[`${name}.tools`] }).toEqual({
        name,
        tools: [{ name: "get_weather", input: { city: "Paris", days: 3 } }],
      });
      if (upstream === "openai") {
        expect({ name, parallel: out[`${name}.parallel`] }).toEqual({
          name,
          parallel: [
            { name: "get_weather", input: { city: "Paris", days: 3 } },
            { name: "get_time", input: { city: "Paris", days: 3 } },
          ],
        });
      }
      expect({ name, structured: out[`${name}.structured`] }).toEqual({
        name,
        structured: { forecast: expect.stringContaining("echo: forecast please") },
      });
      // The second turn reached the upstream with the first turn's answer in it.
      expect({ name, multiturn: out[`${name}.multiturn`] }).toEqual({ name, multiturn: "echo: and now?" });
      const secondTurn = seen(report).filter((request) =>
        JSON.stringify(request.body).includes(`${name}: my name is Zed`),
      )[1];
      expect({
        name,
        answerSentBack: JSON.stringify(secondTurn?.body).includes(`echo: ${name}: my name is Zed`),
      }).toEqual({ name, answerSentBack: true });
    }
    const rows = (report.audit as { frontDoor: string; status: number; dropped?: unknown }[]).filter(
      (row) => row.frontDoor !== "admin",
    );
    expect(rows.filter((row) => row.status !== 200)).toEqual([]);
    expect(rows.filter((row) => row.dropped)).toEqual([]);
  });
});

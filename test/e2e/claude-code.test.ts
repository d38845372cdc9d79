import { describe, expect, test } from "bun:test";
import { runInNetns, seen } from "./clients/run-in-netns.ts";

// Claude Code 2.1.328 (`@anthropic-ai/claude-code`, its native binary shipped inside the npm
// package for the platform), unchanged: `claude -p` with ANTHROPIC_BASE_URL and a mindgw key,
// run with the gateway and the fake upstream inside a network namespace with only loopback.

const MODELS = ["claude-opus-5-5", "claude-sonnet-4-6", "claude-haiku-4-5"];
const bash = Buffer.from(
  JSON.stringify({ command: "echo hello-from-bash", description: "Say hello" }),
).toString("base64");
const PROMPT = `run it [[fake:tool=Bash,args64=${bash}]]`;
const FLAGS = ["--allowedTools", "Bash"];
type Row = { frontDoor: string; status: number; model: string | null; dropped?: string };

describe("Claude Code through mindgw", () => {
  test("Anthropic-type upstream: a Bash tool call runs and its result goes back", async () => {
    const report = await runInNetns("claude.scenario.ts", {
      upstream: "anthropic",
      models: MODELS,
      prompt: PROMPT,
      flags: FLAGS,
    });
    expect(report.client.exitCode).toBe(0);
    const calls = seen(report).filter((request) => request.path === "/v1/messages");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls[0]?.body.model).toBe("up-claude-opus-5-5");
    const last = (
      (calls.at(-1)?.body.messages ?? []) as {
        role: string;
        content: { type: string; content?: unknown }[];
      }[]
    ).at(-1);
    expect(last?.content[0]?.type).toBe("tool_result");
    expect(JSON.stringify(last?.content[0]?.content)).toContain("hello-from-bash");
    expect(report.client.stdout.trim()).toBe("echo: hello-from-bash");
    // Its preconnect (`HEAD /api/hello`, as Anthropic's API answers it) is answered, not a 404 row.
    expect((report.audit as Row[]).filter((row) => row.frontDoor === "other")).toEqual([]);
  });

  test("OpenAI-type upstream: system turns, effort and tools translated; Anthropic-only fields dropped and named", async () => {
    const report = await runInNetns("claude.scenario.ts", {
      upstream: "openai",
      models: MODELS,
      prompt: PROMPT,
      flags: FLAGS,
    });
    expect(report.client.exitCode).toBe(0);
    const calls = seen(report).filter((request) => request.path === "/v1/chat/completions");
    const first = calls[0]?.body as Record<string, unknown>;
    expect((first.messages as { role: string }[])[0]?.role).toBe("system");
    expect(first.reasoning_effort).toBe("medium"); // output_config.effort
    expect(first.context_management).toBeUndefined();
    // Its max_tokens as max_completion_tokens: OpenAI's gpt-5.x and o-series refuse max_tokens.
    expect([typeof first.max_completion_tokens, first.max_tokens]).toEqual(["number", undefined]);
    // Its metadata.user_id (a JSON object, ~150 characters) as a digest OpenAI's 64-character
    // `user` takes: the fake refuses a longer one, as OpenAI does.
    expect(calls.every((call) => /^[0-9a-f]{64}$/.test(String(call.body.user)))).toBe(true);
    expect((first.tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toContain(
      "Bash",
    );
    const history = calls.at(-1)?.body.messages as { role: string; content: unknown }[];
    expect(history.at(-1)?.role).toBe("tool");
    expect(String(history.at(-1)?.content)).toContain("hello-from-bash");
    expect(report.client.stdout.trim()).toBe("echo: hello-from-bash");
    const rows = (report.audit as Row[]).filter((row) => row.frontDoor === "messages");
    expect(rows.length).toBe(calls.length);
    expect(rows.every((row) => row.status === 200 && row.dropped?.includes("context_management"))).toBe(true);
  });

  test("a route whose context_window cannot hold Claude Code's max_tokens: it is told so in Anthropic's words, asks for less and completes", async () => {
    // Claude Code asks for max_tokens 128,000; with its prompt that passes a 131,072-token window.
    // The gateway refuses before any upstream call, in the words Anthropic's API uses when the
    // prompt fits and the answer does not; Claude Code reads the numbers and asks again for less.
    const window = 131_072;
    const report = await runInNetns("claude.scenario.ts", {
      upstream: "openai",
      models: MODELS,
      prompt: PROMPT,
      flags: FLAGS,
      route: { context_window: window },
    });
    expect(report.client.exitCode).toBe(0);
    expect(report.client.stdout.trim()).toBe("echo: hello-from-bash");
    // Only the asks that fit reached the upstream (the tool call, then the answer), each for less.
    const asked = seen(report)
      .filter((request) => request.path === "/v1/chat/completions")
      .map((request) => Number(request.body.max_completion_tokens));
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked.every((tokens) => tokens < 128_000)).toBe(true);
    // Its first ask, refused by the gateway: a 400 row (the report is read once it holds as many
    // rows as upstream calls, and the refusal came before them).
    const rows = (report.audit as Row[]).filter((row) => row.frontDoor === "messages");
    expect(rows.some((row) => row.status === 400)).toBe(true);
  });

  test("the deepseek preset: the thinking Claude Code sends back goes as reasoning_content, which DeepSeek's thinking mode requires", async () => {
    // The fake refuses, as DeepSeek's API does, a tool-call turn sent back without its reasoning.
    const report = await runInNetns("claude.scenario.ts", {
      upstream: "deepseek",
      models: MODELS,
      prompt: PROMPT,
      flags: FLAGS,
      route: { model: "deepseek-reasoner" },
    });
    expect(report.client.exitCode).toBe(0);
    expect(report.client.stdout.trim()).toBe("echo: hello-from-bash");
    const calls = seen(report).filter((request) => request.path === "/v1/chat/completions");
    const history = calls.at(-1)?.body.messages as { role: string; reasoning_content?: unknown }[];
    const turn = history.find((message) => message.role === "assistant");
    // The reasoning the fake's first answer carried, sent back with the tool call it led to.
    const first = calls[0]?.body.messages as unknown[];
    expect(turn?.reasoning_content).toBe(`Thinking over ${first.length} messages.`);
  });

  test("the mistral preset: a Bash tool loop on a model Mistral's API checks (its fields, its message order, its ids)", async () => {
    // The fake refuses, in Mistral's words, what Mistral's API refuses (test/fake-upstream/mistral-api.ts):
    // a field its schema has not (`stream_options`, `user`, `max_completion_tokens`), a message order
    // OpenAI takes and it does not, a tool-call id not of 9 letters and digits.
    const report = await runInNetns("claude.scenario.ts", {
      upstream: "mistral",
      models: MODELS,
      prompt: PROMPT,
      flags: FLAGS,
      route: { model: "devstral-medium-latest" },
    });
    expect(report.client.exitCode).toBe(0);
    expect(report.client.stdout.trim()).toBe("echo: hello-from-bash");
    const calls = seen(report).filter((request) => request.path === "/v1/chat/completions");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls)
      expect([call.body.stream_options, call.body.user, call.body.max_completion_tokens]).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
    const history = calls.at(-1)?.body.messages as { role: string; tool_call_id?: string }[];
    expect(history.at(-1)?.role).toBe("tool");
    expect(history.at(-1)?.tool_call_id).toMatch(/^[a-zA-Z0-9]{9}$/);
    const rows = (report.audit as Row[]).filter((row) => row.frontDoor === "messages");
    expect(rows.map((row) => row.status)).toEqual(calls.map(() => 200));
  });

  test("an unknown key: Claude Code says it failed to authenticate and stops, without retrying for minutes", async () => {
    // Claude Code sends a 401 again ten times over some three minutes unless the answer says
    // `x-should-retry: false`; told so, it gives up at once. Killed after 60 s, it would not exit 1.
    const report = await runInNetns("claude.scenario.ts", {
      upstream: "anthropic",
      models: MODELS,
      prompt: "say hi",
      unknownKey: true,
      clientTimeoutMs: 60_000,
    });
    expect(report.client.exitCode).toBe(1);
    expect(report.client.stdout).toContain("Failed to authenticate");
    expect(seen(report)).toEqual([]);
  });

  test("--output-format stream-json: the result event carries the answer", async () => {
    const report = await runInNetns("claude.scenario.ts", {
      upstream: "openai",
      models: MODELS,
      prompt: "say hi",
      flags: ["--output-format", "stream-json", "--verbose"],
    });
    expect(report.client.exitCode).toBe(0);
    const events = report.client.stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map(
        (line) => JSON.parse(line) as { type: string; subtype?: string; result?: string; is_error?: boolean },
      );
    expect(events[0]?.type).toBe("system");
    const result = events.find((event) => event.type === "result");
    expect(result).toMatchObject({ subtype: "success", is_error: false });
    expect(result?.result).toStartWith("echo: ");
  });
});

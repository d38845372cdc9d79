import { describe, expect, test } from "bun:test";
import type { Report } from "./clients/loopback-world.ts";
import { runInNetns, seen } from "./clients/run-in-netns.ts";

// Claude Code and Codex CLI, unchanged, meeting an upstream that fails: each must do through
// mindgw what it does pointed straight at the upstream (the baseline, same netns, same fake) —
// retry as often, say the upstream's words, exit alike — or better where the fault is the
// gateway's own account. Retries are bounded by the clients' own settings so a case takes seconds.

const CLAUDE_MODELS = ["claude-opus-5-5", "claude-sonnet-4-6", "claude-haiku-4-5"];
/** Claude Code's retries of a failed call, bounded (its default is 10, with backoff to 32 s). */
const CLAUDE_RETRIES = { CLAUDE_CODE_MAX_RETRIES: "2" };

const claude = (prompt: string, direct: boolean) =>
  runInNetns("claude.scenario.ts", {
    upstream: "anthropic",
    models: CLAUDE_MODELS,
    prompt,
    env: CLAUDE_RETRIES,
    clientTimeoutMs: 60_000,
    direct,
  });

/** Each upstream call as the client made it: streamed or whole. */
const calls = (report: Report) =>
  seen(report)
    .filter((request) => request.path === "/v1/messages")
    .map((request) => (request.body.stream === true ? "stream" : "whole"));

const statuses = (report: Report, frontDoor: string) =>
  (report.audit as { frontDoor: string; status: number }[])
    .filter((row) => row.frontDoor === frontDoor)
    .map((row) => row.status);

describe("Claude Code meeting upstream errors, through mindgw as pointed straight at the upstream", () => {
  test("a 429 with Retry-After on every try: it waits and retries as often, then shows the upstream's words", async () => {
    const prompt = "say hi [[fake:status=429,retry-after=1]]";
    const direct = await claude(prompt, true);
    const relayed = await claude(prompt, false);
    // Its first try and CLAUDE_CODE_MAX_RETRIES more, each a 429 the gateway relayed as sent.
    expect(calls(direct)).toEqual(["stream", "stream", "stream"]);
    expect(calls(relayed)).toEqual(calls(direct));
    expect(statuses(relayed, "messages")).toEqual([429, 429, 429]);
    for (const report of [direct, relayed]) {
      expect(report.client.exitCode).toBe(1);
      expect(report.client.stdout).toContain("Request rejected (429) · fake upstream: status 429 on request");
    }
  });

  test("overloaded_error inside a stream that had begun: it asks again for the whole answer, and completes", async () => {
    // The error event after the answer's first events (`content_block_start`): the stream is the
    // client's already, so the gateway relays the event and ends it; Claude Code falls back to a
    // request without streaming, which the fake answers whole.
    const prompt = "say hi [[fake:stream-error=3]]";
    const direct = await claude(prompt, true);
    const relayed = await claude(prompt, false);
    expect(direct.client.exitCode).toBe(0);
    expect(calls(direct)).toContain("whole");
    expect(relayed.client.exitCode).toBe(0);
    expect(calls(relayed)).toEqual(calls(direct));
    expect(relayed.client.stdout).toBe(direct.client.stdout);
  });

  test("the upstream refuses the gateway's own key (401): one try, told it is the gateway's credentials, not its key", async () => {
    // Pointed straight at such an upstream Claude Code says "Invalid API key · Fix external API
    // key" after retrying: the caller's key is fine here, so the gateway answers 502 with
    // `x-should-retry: false`, which Claude Code obeys.
    const relayed = await claude("say hi [[fake:status=401]]", false);
    expect(relayed.client.exitCode).toBe(1);
    expect(relayed.client.stdout).toContain("rejected the gateway's credentials");
    expect(relayed.client.stdout).not.toContain("Invalid API key");
    expect(calls(relayed)).toEqual(["stream"]);
    expect(statuses(relayed, "messages")).toEqual([502]);
  });
});

describe("Codex CLI meeting upstream errors through a translated route", () => {
  test("a 429 with Retry-After on every try: it retries its stream as often as against OpenAI and says 429", async () => {
    // Against a Responses upstream answering 429 (same settings, same netns), Codex sent the turn
    // stream_max_retries + 1 times and said `exceeded retry limit, last status: 429 Too Many
    // Requests`; through the gateway to a chat upstream it must do the same.
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "openai",
      models: ["gpt-6.1-sol"],
      prompt: "say hi [[fake:status=429,retry-after=1]]",
      providerConfig: "request_max_retries = 1\nstream_max_retries = 1\n",
      timeoutMs: 60_000,
    });
    expect(report.client.exitCode).toBe(1);
    expect(report.client.stderr).toContain("exceeded retry limit, last status: 429 Too Many Requests");
    expect(seen(report).map((request) => request.path)).toEqual([
      "/v1/chat/completions",
      "/v1/chat/completions",
    ]);
    expect(statuses(report, "responses")).toEqual([429, 429]);
  });

  test("the upstream refuses the gateway's own key, and Codex's retry finds the route's breaker open: the 503 still says why", async () => {
    // Codex retries every 5xx (it reads no `x-should-retry`), so its retry of the gateway's 502
    // meets the breaker that 502 opened. Pointed straight at the upstream Codex says "401
    // Unauthorized: Incorrect API key provided"; the breaker's 503 must not hide the cause.
    const report = await runInNetns("codex.scenario.ts", {
      upstream: "openai",
      models: ["gpt-6.1-sol"],
      prompt: "say hi [[fake:status=401]]",
      providerConfig: "request_max_retries = 0\nstream_max_retries = 1\n",
      routing: { circuit_breaker: { failures: 1 } },
      timeoutMs: 60_000,
    });
    expect(report.client.exitCode).toBe(1);
    // The 502 that opened the breaker (the 503's row may still be on its way when the report is read).
    expect(statuses(report, "responses")).toContain(502);
    expect(report.client.stderr).toContain("every route for model gpt-6.1-sol is temporarily out of service");
    expect(report.client.stderr).toContain("rejected the gateway's credentials");
    expect(seen(report)).toHaveLength(1);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Scenario } from "./wrk.ts";

const message = { role: "user", content: "hello from the benchmark, please echo these words back" };
/** The two loads every target gets: one chat completion, plain and streamed. */
export const SCENARIOS: Scenario[] = [
  { name: "non-stream", path: "/v1/chat/completions", body: { model: "bench-model", messages: [message] } },
  {
    name: "stream",
    path: "/v1/chat/completions",
    body: {
      model: "bench-model",
      messages: [message],
      stream: true,
      stream_options: { include_usage: true },
    },
  },
];

export const STREAM_SCENARIO: Scenario = SCENARIOS[1]!;

const anthropicBody = { model: "bench-model", max_tokens: 64, messages: [message] };
/** The same two loads through the Anthropic front door (`/v1/messages`), translated to an OpenAI upstream. */
export const ANTHROPIC_SCENARIOS: Scenario[] = [
  { name: "non-stream", path: "/v1/messages", body: anthropicBody },
  { name: "stream", path: "/v1/messages", body: { ...anthropicBody, stream: true } },
];

/** A Codex-like turn (instructions, `input` items, `store: false`), translated to the chat upstream. */
const responsesBody = {
  model: "bench-model",
  instructions: "You are a coding agent. Answer briefly.",
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: message.content }] }],
  store: false,
};
/** The two loads through the Responses front door (`/v1/responses`), as Codex and the Agents SDK call it. */
export const RESPONSES_SCENARIOS: Scenario[] = [
  { name: "non-stream", path: "/v1/responses", body: { ...responsesBody, stream: false } },
  { name: "stream", path: "/v1/responses", body: { ...responsesBody, stream: true } },
];

/**
 * The model the benches' configs route to an Anthropic upstream (the burst upstream's
 * `/v1/messages`): the OpenAI front door on an Anthropic model.
 */
export const ANTHROPIC_UPSTREAM_MODEL = "bench-model-anthropic";
/** The config lines (a provider, a model) that route {@link ANTHROPIC_UPSTREAM_MODEL} to the burst upstream's `/v1/messages`. */
export const anthropicUpstreamYaml = (fakeUrl: string) => ({
  provider: `  - { name: fake-anthropic, type: anthropic, base_url: ${fakeUrl} }`,
  model: `  - name: ${ANTHROPIC_UPSTREAM_MODEL}\n    routes:\n      - { provider: fake-anthropic, model: bench-model }`,
});
/** The two OpenAI loads on the Anthropic upstream (chat → Messages and back). */
export const CHAT_ON_ANTHROPIC_SCENARIOS: Scenario[] = SCENARIOS.map((s) => ({
  ...s,
  body: { ...(s.body as object), model: ANTHROPIC_UPSTREAM_MODEL },
}));

/** A recorded client's request (src/translate/fixtures/clients), its model the bench's. */
function recorded(file: string): { path: string; body: Record<string, unknown> } {
  const text = readFileSync(join(import.meta.dir, "../src/translate/fixtures/clients", file), "utf8");
  const fixture = JSON.parse(text) as { path: string; body: Record<string, unknown> };
  return { path: fixture.path.replace(/\?.*$/, ""), body: { ...fixture.body, model: "bench-model" } };
}
/** The two loads as real agents send them: a recorded request of ~50 KB (tools, instructions, history). */
const recordedScenarios = (file: string): Scenario[] => {
  const { path, body } = recorded(file);
  return [
    { name: "non-stream", path, body: { ...body, stream: false } },
    { name: "stream", path, body: { ...body, stream: true } },
  ];
};

/** Each front's scenarios (made when named: the recorded ones read their files). */
const FRONTS: Record<string, () => Scenario[]> = {
  openai: () => SCENARIOS,
  anthropic: () => ANTHROPIC_SCENARIOS,
  responses: () => RESPONSES_SCENARIOS,
  "chat-anthropic": () => CHAT_ON_ANTHROPIC_SCENARIOS,
  codex: () => recordedScenarios("codex-0.169.0-default.json"),
  "claude-code": () => recordedScenarios("claude-code-2.1.328-default.json"),
};

/**
 * The scenarios `--front` names: a front door or a comma-separated list of them, `openai` (the
 * default loads), `anthropic` (the same through `/v1/messages`), `responses` (a Codex-like turn
 * through `/v1/responses`), `chat-anthropic` (the OpenAI loads on an Anthropic upstream), `codex`
 * and `claude-code` (their recorded requests, ~56 and ~49 KB, to `/v1/responses` and `/v1/messages`); `both`
 * is `openai,anthropic`, `all` every one. With more than one, every front but `openai` prefixes
 * its scenarios' names (`anthropic-stream`). Throws for another name.
 */
export function frontScenarios(front: string): Scenario[] {
  const names =
    front === "both" ? ["openai", "anthropic"] : front === "all" ? Object.keys(FRONTS) : front.split(",");
  return names.flatMap((name) => {
    const scenarios = FRONTS[name]?.();
    if (!scenarios)
      throw new Error(`--front: ${Object.keys(FRONTS).join(", ")}, both or all (comma-separated)`);
    return names.length === 1 || name === "openai"
      ? scenarios
      : scenarios.map((s) => ({ ...s, name: `${name}-${s.name}` }));
  });
}

/** One request of each scenario must succeed, or the numbers would measure error replies. */
export async function preflight(
  url: string,
  headers: Record<string, string>,
  scenarios: readonly Scenario[] = SCENARIOS,
): Promise<void> {
  for (const scenario of scenarios) {
    const res = await fetch(`${url}${scenario.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(scenario.body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 200)
      throw new Error(`${scenario.name} preflight: HTTP ${res.status} ${text.slice(0, 200)}`);
  }
}

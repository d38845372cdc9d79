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

/**
 * The scenarios `--front` names: `openai` (the default loads), `anthropic` (the same through
 * `/v1/messages`), `both` (all four, the Anthropic ones named `anthropic-…`); throws for another.
 */
export function frontScenarios(front: string): Scenario[] {
  if (front === "openai") return SCENARIOS;
  if (front === "anthropic") return ANTHROPIC_SCENARIOS;
  if (front === "both")
    return [...SCENARIOS, ...ANTHROPIC_SCENARIOS.map((s) => ({ ...s, name: `anthropic-${s.name}` }))];
  throw new Error("--front: openai, anthropic or both");
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

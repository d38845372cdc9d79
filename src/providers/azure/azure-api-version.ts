import type { PresetQuirks } from "../openai-compatible/presets.ts";

/**
 * Azure OpenAI's dated API versions before 2024-09-01-preview know neither `max_completion_tokens`,
 * `stream_options` nor `parallel_tool_calls` (all added then: "Changes between
 * 2024-09-01-preview and 2024-08-01-preview", its API preview lifecycle page), and refuse a request
 * naming either whole (400 "Unrecognized request argument supplied: stream_options"). The GA
 * versions 2024-06-01 and 2024-02-01 are among them, and the gateway asks
 * `stream_options.include_usage` of every chat stream, a Messages caller's bound goes as
 * `max_completion_tokens`, Codex's tool calls carry `parallel_tool_calls`: so every stream, and
 * those calls, were refused. Such a provider sends the bound as `max_tokens` and neither of the
 * others (`parallel_tool_calls: false` named as dropped); its streams say no usage, so the
 * gateway's estimate is billed and told, as for any server that says none.
 */
const BEFORE_2024_09: PresetQuirks = {
  legacyMaxTokens: true,
  unknownFields: ["stream_options", "parallel_tool_calls"],
};

/** The request quirks of an Azure `api_version`: none for `v1` and dated versions from 2024-09-01-preview on. */
export function azureVersionQuirks(apiVersion: string): PresetQuirks | undefined {
  const dated = /^\d{4}-\d{2}-\d{2}/.exec(apiVersion)?.[0];
  return dated !== undefined && dated < "2024-09-01" ? BEFORE_2024_09 : undefined;
}

import { expect, test } from "bun:test";
import { applyPresetQuirks } from "../openai-compatible/presets.ts";
import { azureVersionQuirks } from "./azure-api-version.ts";

test("dated versions before 2024-09-01-preview send no stream_options nor parallel_tool_calls, and the bound as max_tokens; later ones and v1 as received", () => {
  const body = {
    model: "d",
    stream: true,
    stream_options: { include_usage: true },
    max_completion_tokens: 50,
    parallel_tool_calls: false,
  };
  for (const version of ["2024-06-01", "2024-02-01", "2024-08-01-preview", "2023-05-15"])
    expect(applyPresetQuirks(azureVersionQuirks(version), body)).toEqual({
      model: "d",
      stream: true,
      max_tokens: 50,
    });
  for (const version of ["2024-09-01-preview", "2024-10-21", "2025-04-01-preview", "v1", "preview"])
    expect(azureVersionQuirks(version)).toBeUndefined();
});

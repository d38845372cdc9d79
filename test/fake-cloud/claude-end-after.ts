import type { CloudFailure } from "./fake-cloud-api.ts";

/**
 * A Claude stream's SSE frames up to the first event of `cut.endAfter`'s type, when given, and
 * Anthropic's error event after it when `cut.errorEvent` (Bedrock InvokeModel, Vertex).
 */
export function endAfter(frames: string[], cut: CloudFailure | undefined): string[] {
  if (!cut?.endAfter) return frames;
  const at = frames.findIndex((frame) => frame.startsWith(`event: ${cut.endAfter}\n`));
  const kept = at === -1 ? frames : frames.slice(0, at + 1);
  if (!cut.errorEvent) return kept;
  const error = { type: "error", error: { type: cut.type, message: cut.message } };
  return [...kept, `event: error\ndata: ${JSON.stringify(error)}\n\n`];
}

import { z } from "zod";

const ms = z.coerce.number().int().min(0);
const flag = z.preprocess((v) => (v === "" || v === "1" || v === "true" ? true : v), z.coerce.boolean());

/**
 * How the fake misbehaves for one request. Every field is optional; an empty object is a
 * prompt, well-formed answer. Set per request from `x-fake-<kebab-key>` headers, from
 * `[[fake:key=value,...]]` markers in the message text, or queued via `POST /_fake/next`.
 */
export const behaviourSchema = z.object({
  /** Milliseconds before the response headers are sent. */
  delay: ms.optional(),
  /**
   * Milliseconds between the headers and the first body chunk. Bun holds headers back until
   * the first body byte, so a positive ttfb first sends a harmless byte (an SSE comment
   * `: fake\n\n`, or a space before JSON) to make the headers leave on time.
   */
  ttfb: ms.optional(),
  /** Milliseconds between two stream chunks. */
  chunkDelay: ms.optional(),
  /**
   * The first chunk `chunkDelay` waits before (default 1): 2 sends a chat stream's role chunk and
   * first content at once, then goes slow, as a model that stalls mid-answer.
   */
  chunkDelayFrom: ms.optional(),
  /** Answer with this HTTP status and the dialect's error body instead of a reply. */
  status: z.coerce.number().int().min(100).max(599).optional(),
  /** The error body's message on an error status (queued only: a marker cannot hold commas). */
  message: z.string().optional(),
  /** Seconds for `retry-after` on an error status (default 1 on 429 and 503). */
  retryAfter: ms.optional(),
  /** `retry-after-ms` on an error status, which OpenAI and Anthropic send beside `retry-after`. */
  retryAfterMs: ms.optional(),
  /** `x-should-retry` on an error status, which OpenAI and Anthropic send to say whether to retry. */
  shouldRetry: z.enum(["true", "false"]).optional(),
  /** Never answer: no headers, no body, until the client gives up. */
  hang: flag.optional(),
  /** Reset the connection after this many body chunks (non-stream: half the JSON when 0+). */
  cutAfter: ms.optional(),
  /** After this many chunks, send bytes forever without a newline (until the client leaves). */
  endlessLine: ms.optional(),
  /** After this many chunks, send an in-stream error event on a 200 stream, then end. */
  streamError: ms.optional(),
  /** After this many chunks, end the stream cleanly but without its end marker ([DONE], message_stop). */
  stopAfter: ms.optional(),
  /** Send every frame but the last, the end marker (`[DONE]`, `message_stop`): the answer whole, unterminated. */
  noEnd: flag.optional(),
  /** After this many chunks, send an event whose data is not JSON (an HTML error page), then go on. */
  garbageAfter: ms.optional(),
  /** Answer a stream request with the whole JSON answer, as an upstream that ignores `stream` does. */
  ignoreStream: flag.optional(),
  /** Answer 200 with the dialect's error object as the body, as some proxies do. */
  errorBody: flag.optional(),
  /** Exact number of content deltas (the reply text is regrouped or padded to fit). */
  chunks: z.coerce.number().int().min(1).max(10_000).optional(),
  /** Refuse as the real API does when the prompt exceeds the context window (400, its own body). */
  contextLength: flag.optional(),
  /**
   * Refuse an effort level (chat's `reasoning_effort`, Anthropic's `output_config.effort`) with the
   * 400 the real API sends for a model that has none (OpenAI's gpt-4.1, Anthropic's Haiku 4.5).
   */
  noEffort: flag.optional(),
  /**
   * Chat dialect: the model the answer names (`model`), where it is not the one asked, as OpenAI
   * answers `gpt-4o-mini` as `gpt-4o-mini-2024-07-18`.
   */
  answerModel: z.string().optional(),
  /** Report this many input tokens in usage instead of the prompt's word count (a long conversation). */
  inputTokens: z.coerce.number().int().min(0).optional(),
  /** Call this tool (when the request declares it) instead of the first one. */
  tool: z.string().optional(),
  /** The tool call's arguments, as base64 of their JSON (markers cannot hold commas). */
  args64: z.string().optional(),
  /**
   * Chat dialect: reasoning text before the answer, as `reasoning_content` (its own deltas first in
   * a stream), as vLLM's reasoning parsers (gpt-oss, Qwen3) and DeepSeek send it.
   */
  reasoning: z.string().optional(),
  /**
   * Chat dialect: call every declared tool at once, a stream interleaving their argument
   * fragments (index 0, 1, 0, 1, …), as some chat servers stream parallel calls.
   */
  interleave: flag.optional(),
});

export type Behaviour = z.infer<typeof behaviourSchema>;

export const behaviourListSchema = z.array(behaviourSchema);

const keys = Object.keys(behaviourSchema.shape) as (keyof Behaviour)[];
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const byKebab = new Map(keys.map((key) => [kebab(key), key]));
const MARKER = /\[\[fake:([^\]]*)\]\]/g;

function parsePairs(pairs: [string, string][]): Behaviour {
  const raw: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = byKebab.get(name.trim().toLowerCase()) ?? keys.find((k) => k === name.trim());
    if (key) raw[key] = value.trim();
  }
  const parsed = behaviourSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`bad fake behaviour: ${parsed.error.message}`);
  return parsed.data;
}

/** Reads `x-fake-status: 503`, `x-fake-chunk-delay: 20`, ... */
export function behaviourFromHeaders(headers: Headers): Behaviour {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => {
    if (name.startsWith("x-fake-")) pairs.push([name.slice("x-fake-".length), value]);
  });
  return parsePairs(pairs);
}

/** Reads every `[[fake:status=503,ttfb=200]]` marker in a text; a bare key means true. */
export function behaviourFromText(text: string): Behaviour {
  const pairs: [string, string][] = [];
  for (const match of text.matchAll(MARKER)) {
    for (const part of (match[1] ?? "").split(",")) {
      if (part.trim() === "") continue;
      const eq = part.indexOf("=");
      pairs.push(eq === -1 ? [part, "true"] : [part.slice(0, eq), part.slice(eq + 1)]);
    }
  }
  return parsePairs(pairs);
}

/** The text with its markers removed, so the echo reads as what the user meant. */
export function stripMarkers(text: string): string {
  return text.replace(MARKER, "").replace(/\s+/g, " ").trim();
}

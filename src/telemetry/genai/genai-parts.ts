import { parseDataUrl } from "../../translate/data-url.ts";

// The message shape of the OpenTelemetry GenAI semantic conventions (`gen_ai.input.messages`,
// `gen_ai.output.messages`, `gen_ai.system_instructions`; their JSON schemas as of semconv 1.41):
// messages of a role and parts, each part named by its `type`.

/** One part of a message: `text`, `reasoning`, `tool_call`, `tool_call_response`, `blob`, `uri`, `file`, or a generic one named by its type. */
export interface GenAiPart {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface GenAiMessage {
  readonly role: string;
  readonly parts: GenAiPart[];
  readonly name?: string;
  /** Output messages only: why the generation of this choice ended. */
  readonly finish_reason?: string;
}

export const textPart = (content: string): GenAiPart => ({ type: "text", content });
export const reasoningPart = (content: string): GenAiPart => ({ type: "reasoning", content });
export const toolCallPart = (id: string | null, name: string, args: unknown): GenAiPart => ({
  type: "tool_call",
  id,
  name,
  arguments: args,
});
export const toolResponsePart = (id: string | null, response: unknown): GenAiPart => ({
  type: "tool_call_response",
  id,
  response,
});
/** A part the conventions have no shape for (an image generation call, a redacted thought): its type alone. */
export const genericPart = (type: string): GenAiPart => ({ type });

const modalityOf = (mimeType: string | null, fallback: string) => {
  const major = mimeType?.split("/")[0];
  return major === "image" || major === "audio" || major === "video" ? major : fallback;
};

/** Attached data by URL: inline (a `data:` URL) as a blob, else as a URI. */
export function urlPart(url: string, modality: string, mimeType: string | null = null): GenAiPart {
  const inline = parseDataUrl(url);
  return inline
    ? blobPart(inline.data, inline.mediaType || null, modality)
    : { type: "uri", modality, mime_type: mimeType, uri: url };
}

/** Inline data, base64 as sent. */
export const blobPart = (base64: string, mimeType: string | null, modality: string): GenAiPart => ({
  type: "blob",
  modality: modalityOf(mimeType, modality),
  mime_type: mimeType,
  content: base64,
});

/** Data uploaded to the provider beforehand, by its id. */
export const filePart = (fileId: string, modality: string, mimeType: string | null = null): GenAiPart => ({
  type: "file",
  modality,
  mime_type: mimeType,
  file_id: fileId,
});

/** OpenAI's finish reasons as the conventions name them; others as they are. */
const FINISH_REASONS: Record<string, string> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_call",
  function_call: "tool_call",
  content_filter: "content_filter",
};

/** A choice's finish reason (OpenAI's words); none given means the generation did not finish. */
export const finishReasonOf = (reason: unknown): string =>
  typeof reason === "string" ? (FINISH_REASONS[reason] ?? reason) : "error";

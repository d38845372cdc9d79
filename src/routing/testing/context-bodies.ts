import type { JsonObject, Operation } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";

// The request bodies the context-fit and context-routing tests measure against a window: big
// texts, each dialect's media, assistant turns and signed call ids; and an upstream's too-long
// refusal.

export const tooLong = () =>
  new GatewayError({
    status: 400,
    code: "context_length_exceeded",
    param: "messages",
    message: "This model's maximum context length is 100 tokens.",
  });

export const bigBody = (chars: number, extra: object = {}) => ({
  model: "m",
  messages: [{ role: "user", content: "x".repeat(chars) }],
  ...extra,
});

/** `count` texts of `chars` characters each. */
export const texts = (count: number, chars: number) => Array.from({ length: count }, () => "x".repeat(chars));

/** A megabyte of base64: a photo's, a PDF's or a recording's payload, some 262,000 tokens were it text. */
export const BASE64 = "/9j/4AAQSkZJRg".repeat(75_000);
export const dataUrl = (mediaType: string) => `data:${mediaType};base64,${BASE64}`;

export const PHOTO = { type: "image_url", image_url: { url: dataUrl("image/jpeg") } };

/** Each dialect's media, as a caller sends them, with the operation whose body holds them. */
export const MEDIA: Record<string, { operation: Operation; body: (count: number) => JsonObject }> = {
  "chat image_url (data: URL)": chatWith(PHOTO),
  "chat image_url (link)": chatWith({ type: "image_url", image_url: "https://example.com/cat.jpg" }),
  "chat input_audio": chatWith({ type: "input_audio", input_audio: { data: BASE64, format: "wav" } }),
  "chat file": chatWith({ type: "file", file: { filename: "a.pdf", file_data: dataUrl("application/pdf") } }),
  "Responses input_image": responsesWith({ type: "input_image", image_url: dataUrl("image/png") }),
  "Responses input_file": responsesWith({
    type: "input_file",
    filename: "a.pdf",
    file_data: dataUrl("application/pdf"),
  }),
  "Messages image": messagesWith({
    type: "image",
    source: { type: "base64", media_type: "image/jpeg", data: BASE64 },
  }),
  "Messages PDF document": messagesWith({
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: BASE64 },
  }),
  "Messages tool_result image": messagesWith({
    type: "tool_result",
    tool_use_id: "t",
    content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: BASE64 } }],
  }),
  // Gemini's own part, no front door's shape, is known wherever it is.
  "Gemini inlineData": chatWith({ inlineData: { mimeType: "image/jpeg", data: BASE64 } }),
};

export function chatWith(part: JsonObject) {
  return {
    operation: "chat" as const,
    body: (count: number) => ({ model: "m", messages: [{ role: "user", content: parts(part, count) }] }),
  };
}
export function responsesWith(part: JsonObject) {
  return {
    operation: "responses" as const,
    body: (count: number) => ({ model: "m", input: [{ role: "user", content: parts(part, count) }] }),
  };
}
export function messagesWith(part: JsonObject) {
  return {
    operation: "messages" as const,
    body: (count: number) => ({
      model: "m",
      max_tokens: 1000,
      messages: [{ role: "user", content: parts(part, count) }],
    }),
  };
}
export const parts = (part: JsonObject, count: number) => Array.from({ length: count }, () => part);

/** `count` assistant turns, each with `turn(i)`'s fields. */
export function assistantTurns(turn: (i: number) => JsonObject) {
  return {
    operation: "chat" as const,
    body: (count: number) => ({
      model: "m",
      messages: Array.from({ length: count }, (_, i) => ({ role: "assistant", ...turn(i) })),
    }),
  };
}
export const call = (id: string) => ({ id, type: "function", function: { name: "f", arguments: "{}" } });
/** A call id carrying Gemini's thought signature, as the gateway shows one (gemini-call-id.ts). */
export const signed = (i: number) => `call_${i}__ts_${BASE64.replaceAll("/", "_")}`;

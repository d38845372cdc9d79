import { shown } from "../../core/cut-words.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import type { CallerPaths } from "../caller-paths.ts";
import type { Dropped } from "../dropped.ts";
import { toolResultText } from "../tool-result-images.ts";
import type { ResponsesInputPart, ResponsesItem } from "./responses-schema.ts";

/** What writing chat parts keeps as it goes, and whether the upstream fetches a file by URL. */
export interface PartWriting {
  readonly dropped: Dropped;
  /** Learns where each part that is not text came from (a later step's 400 names the caller's part). */
  readonly paths: CallerPaths;
  /** An `input_file` by `file_url` goes as one (ChatUpstreamNeeds.fileUrls: Gemini and Anthropic fetch it). */
  readonly fileUrls: boolean;
}

/** A message item's content as chat content; `at` is the item's path, as a 400 names it. */
export function messageContent(
  content: ResponsesItem["content"],
  at: string,
  writing: PartWriting,
): string | JsonObject[] {
  if (content == null) return "";
  if (typeof content === "string") return content;
  const { paths } = writing;
  const parts = content.flatMap((part, j): JsonObject[] => {
    const path = `${at}.content[${j}]`;
    const chat = chatPart(part, path, writing);
    if (chat && chat.type !== "text") paths.mark(chat, path, part.type);
    return chat ? [chat] : [];
  });
  // Plain text is a string: every chat server accepts that, not all accept part arrays.
  if (parts.every((part) => part.type === "text")) return parts.map((part) => part.text).join("");
  return parts;
}

/**
 * A tool's output (`function_call_output`, `custom_tool_call_output`) as the text of its `tool`
 * message, and its images, which follow the run of tool messages (tool-result-images.ts).
 */
export function toolOutput(
  output: ResponsesItem["output"],
  at: string,
  writing: PartWriting,
): { text: string; images: JsonObject[] } {
  const { dropped, paths } = writing;
  if (typeof output === "string") return { text: output, images: [] };
  const texts: string[] = [];
  const images: JsonObject[] = [];
  for (const [j, part] of (output ?? []).entries()) {
    const path = `${at}.output[${j}]`;
    const chat = part.type === "input_file" ? fileInToolOutput(path, dropped) : chatPart(part, path, writing);
    if (chat?.type === "text" && typeof chat.text === "string") texts.push(chat.text);
    else if (chat) images.push(paths.mark(chat, path, part.type));
  }
  return { text: toolResultText(texts.join(""), images), images };
}

/** A tool message carries text alone, and the user message after the run images alone. */
function fileInToolOutput(path: string, dropped: Dropped): undefined {
  dropped.add("output.input_file", `${path}.type`, "cannot follow a tool's result on this model's upstream");
  return undefined;
}

/**
 * One content part as a chat part: text, an image (its `detail` kept), a file (a PDF as data, or
 * an OpenAI file id). What chat has no place for is named and left out (undefined); a part type
 * it cannot express at all is the caller's 400.
 */
function chatPart(
  part: ResponsesInputPart,
  path: string,
  { dropped, fileUrls }: PartWriting,
): JsonObject | undefined {
  if (part.type === "input_text" || part.type === "output_text")
    return { type: "text", text: part.text ?? "" };
  if (part.type === "refusal") return { type: "text", text: part.refusal ?? "" };
  if (part.type === "input_image" && part.image_url) {
    const detail = part.detail ? { detail: part.detail } : {};
    return { type: "image_url", image_url: { url: part.image_url, ...detail } };
  }
  if (part.type === "input_image" && part.file_id) {
    dropped.add("content.input_image.file_id", `${path}.file_id`);
    return undefined;
  }
  if (part.type === "input_file" && (part.file_data || part.file_id || (part.file_url && fileUrls))) {
    const source = part.file_data
      ? { file_data: part.file_data }
      : part.file_id
        ? { file_id: part.file_id }
        : { file_url: part.file_url };
    const filename = part.filename ? { filename: part.filename } : {};
    return { type: "file", file: { ...filename, ...source } };
  }
  if (part.type === "input_file" && part.file_url) {
    dropped.add("content.input_file.file_url", `${path}.file_url`);
    return undefined;
  }
  const needs = Object.hasOwn(SOURCES, part.type) ? SOURCES[part.type] : undefined;
  // A part that says nothing of where its image or file is: malformed, whatever the model.
  if (needs) throw badRequest(`${path}: an ${part.type} part needs ${needs}`, path);
  throw badRequest(`${path}: part "${shown(part.type)}" is not supported on this model`, path);
}

/** Where an image or file part may say its content is: one of them it must. */
const SOURCES: Readonly<Record<string, string>> = {
  input_image: "image_url or file_id",
  input_file: "file_data, file_id or file_url",
};

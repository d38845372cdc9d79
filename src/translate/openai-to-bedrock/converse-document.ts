import type { JsonObject } from "../../core/dialect.ts";
import { badRequest, type GatewayError } from "../../core/gateway-error.ts";
import { notBase64, readDataUrl } from "../data-url.ts";
import type { OpenAIContentPart } from "../openai-schema.ts";

/** The document formats Converse reads, by the media type of a `data:` URL. */
const FORMATS: Readonly<Record<string, string>> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
};

/** The longest name Converse takes for a document. */
const NAME_MAX = 200;

/**
 * The names of a request's documents. Converse takes a name of letters, digits, single spaces,
 * hyphens, parentheses and square brackets only, 200 characters at most, and refuses a request
 * in which two documents share one ("Messages can't contain duplicate document names"), however far
 * apart the turns. So a filename loses its extension and every other character (`q3_report.v2.pdf`
 * → `q3 report v2`), a file without one is `document`, and a name already given gets a number
 * (`document (2)`): the same conversation sent again names its documents the same way.
 */
export class DocumentNames {
  private readonly taken = new Set<string>();

  of(filename: string | undefined): string {
    const base =
      (filename ?? "")
        .replace(/\.[A-Za-z0-9]{1,5}$/, "")
        .replace(/[^A-Za-z0-9\s()[\]-]+/g, " ")
        .replace(/\s+/g, " ")
        .trim()
        .slice(0, NAME_MAX)
        .trim() || "document";
    let name = base;
    for (let n = 2; this.taken.has(name.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      name = `${base.slice(0, NAME_MAX - suffix.length).trimEnd()}${suffix}`;
    }
    this.taken.add(name.toLowerCase());
    return name;
  }
}

/**
 * A chat `file` part as a Converse `document` block: its `file_data` (a `data:` URL) as bytes, in a
 * format Converse reads, named as `names` says. Anything else is the caller's 400 naming the part;
 * a file by URL (`file_url`, and no data) the route's, as an image by URL is
 * (chat-request-to-converse.ts): Converse fetches none, so a route that fetches it is tried.
 */
export function documentBlock(part: OpenAIContentPart, path: string, names: DocumentNames): JsonObject {
  if (part.file?.file_data === undefined && part.file?.file_url !== undefined) throw fileByUrl(path);
  const data = part.file?.file_data === undefined ? undefined : readDataUrl(part.file.file_data);
  if (data && !data.base64) throw notBase64(path, "file", data, part.file?.filename);
  const format = data && Object.hasOwn(FORMATS, data.mediaType) ? FORMATS[data.mediaType] : undefined;
  if (!data || !format)
    throw badRequest(
      `${path}: this model takes files only as base64 data: URLs of ${Object.values(FORMATS).join(", ")}`,
      path,
    );
  return { document: { format, name: names.of(part.file?.filename), source: { bytes: data.data } } };
}

/**
 * A file by URL (`file_url`, and no data): the route's refusal, as an image by URL is
 * (converse-user-blocks.ts), made as the call is adapted (converse-url-parts.ts).
 */
export const fileByUrl = (path: string): GatewayError =>
  badRequest(
    `${path}: a file by URL, which Bedrock's Converse does not fetch: send it as a base64 data: URL (file_data) of ${Object.values(FORMATS).join(", ")}, or call a model whose upstream fetches URLs`,
    path,
    "unsupported_modality",
  );

/** What a turn that carries a document but no text says: Converse refuses a document alone. */
const ATTACHED = "(see the attached document)";

/**
 * A user turn with a document and no text gets a line of its own, as Converse requires ("A text
 * block must be included when using documents").
 */
export function withTextBeside(blocks: JsonObject[]): JsonObject[] {
  const documents = blocks.some((block) => "document" in block);
  return documents && !blocks.some((block) => "text" in block) ? [...blocks, { text: ATTACHED }] : blocks;
}

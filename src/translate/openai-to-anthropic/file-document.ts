import { shown } from "../../core/cut-words.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { isTextDataUrl, notBase64, readDataUrl } from "../data-url.ts";
import { dataUrlText } from "../data-url-text.ts";
import { hasText } from "../has-text.ts";

/** What of a chat `file` part this reads. */
interface FilePart {
  readonly file_data?: string | undefined;
  readonly filename?: string | undefined;
}

/** How a PDF's base64 begins (`%PDF-`): a `file_data` that is bare base64, as some clients send it. */
const PDF_BASE64 = "JVBERi0";

/** What Claude reads of a file, as a 400 says it. */
const TAKES =
  "it takes a PDF (application/pdf) or text (text/plain, text/markdown, text/csv, … any text/*) as a data: URL in file_data";

/**
 * A chat `file` part's `file_data` as an Anthropic `document` block: a PDF as base64 (a data: URL,
 * or bare base64 that is a PDF's, or a base64 data: URL naming no type whose bytes are a PDF's); a
 * text file (any `text/*`: plain, Markdown, CSV, HTML, or a data: URL of its own form naming no
 * type) as Anthropic's plain-text source, with its filename as the title: its bytes from base64, or
 * as a data: URL without `;base64` writes them (percent-encoded), read in the URL's `charset`
 * (UTF-8 unless it names another). A text file of no text but whitespace is left out (undefined),
 * as such a text part is: Anthropic refuses an empty document ("text content blocks must be
 * non-empty"), and a blank one has nothing to read. Anything else is the caller's 400 at `path`,
 * saying what was sent and what Claude takes.
 */
export function fileDocument(file: FilePart, path: string): JsonObject | undefined {
  const data = file.file_data ?? "";
  const url = readDataUrl(data);
  const mediaType = url?.mediaType.toLowerCase();
  const named = file.filename ? ` (${shown(file.filename)})` : "";
  if (url && isTextDataUrl(data)) {
    const text = dataUrlText(url, path, named);
    if (!hasText(text)) return undefined;
    const title = file.filename ? { title: file.filename } : {};
    return { type: "document", source: { type: "text", media_type: "text/plain", data: text }, ...title };
  }
  if (url && !url.base64) throw notBase64(path, "file", url, file.filename);
  const bare = url === undefined || url.mediaType === "" ? (url?.data ?? data) : undefined;
  if (mediaType === "application/pdf" || bare?.startsWith(PDF_BASE64))
    return {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: url?.data ?? data },
    };
  const sent = !url
    ? `holds file_data${named} that is no data: URL nor a PDF's base64`
    : url.mediaType === ""
      ? `holds a data: URL${named} that names no media type`
      : `holds ${shown(url.mediaType)}${named}`;
  throw badRequest(`${path}: part "file" ${sent}, which this model cannot read: ${TAKES}`, path);
}

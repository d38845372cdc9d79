import { shown } from "../../core/cut-words.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { readDataUrl } from "../data-url.ts";

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
 * or bare base64 that is a PDF's); a text file (any `text/*`: plain, Markdown, CSV, HTML) as
 * Anthropic's plain-text source, with its filename as the title: its bytes read as UTF-8 from
 * base64, or its characters as a data: URL without `;base64` writes them (percent-encoded). A
 * data: URL's parameters (`;charset=utf-8`) are passed over. Anything else is the caller's 400 at
 * `path`, saying what was sent and what Claude takes.
 */
export function fileDocument(file: FilePart, path: string): JsonObject {
  const data = file.file_data ?? "";
  const url = readDataUrl(data);
  const mediaType = url?.mediaType.toLowerCase();
  const named = file.filename ? ` (${shown(file.filename)})` : "";
  if (url && mediaType?.startsWith("text/")) {
    const text = url.base64 ? Buffer.from(url.data, "base64").toString("utf8") : percentDecoded(url.data);
    const title = file.filename ? { title: file.filename } : {};
    return { type: "document", source: { type: "text", media_type: "text/plain", data: text }, ...title };
  }
  if (url && !url.base64)
    throw badRequest(
      `${path}: part "file" holds ${shown(url.mediaType)}${named} in a data: URL that is not base64-encoded (no ";base64,"): send its bytes as base64`,
      path,
    );
  if (mediaType === "application/pdf" || (url === undefined && data.startsWith(PDF_BASE64)))
    return {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: url?.data ?? data },
    };
  const sent = url
    ? `holds ${shown(url.mediaType)}${named}`
    : `holds file_data${named} that is no data: URL nor a PDF's base64`;
  throw badRequest(`${path}: part "file" ${sent}, which this model cannot read: ${TAKES}`, path);
}

/**
 * A data: URL's text, each run of `%XX` escapes decoded on its own: a `%` that begins no escape (a
 * bare "100%") or a run that is no UTF-8 stays as written, and no other run with it.
 */
const percentDecoded = (data: string): string => data.replace(ESCAPES, decodedRun);

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

function decodedRun(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    return run;
  }
}

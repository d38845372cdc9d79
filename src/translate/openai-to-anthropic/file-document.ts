import { shown } from "../../core/cut-words.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { type DataUrl, notBase64, readDataUrl } from "../data-url.ts";

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
 * (UTF-8 unless it names another). Anything else is the caller's 400 at `path`, saying what was
 * sent and what Claude takes.
 */
export function fileDocument(file: FilePart, path: string): JsonObject {
  const data = file.file_data ?? "";
  const url = readDataUrl(data);
  const mediaType = url?.mediaType.toLowerCase();
  const named = file.filename ? ` (${shown(file.filename)})` : "";
  if (url && mediaType?.startsWith("text/")) {
    const text = textOf(url, path, named);
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

/** A text data: URL's text, read in its charset: a charset no decoder knows is the caller's 400. */
function textOf(url: DataUrl, path: string, named: string): string {
  const charset = url.charset ?? "utf-8";
  // Base64's bytes are read whatever they hold (U+FFFD where no text); an escape that is none stays.
  const decoder = textDecoder(charset, { fatal: !url.base64 });
  if (decoder === undefined)
    throw badRequest(
      `${path}: part "file" holds text${named} in charset ${shown(charset)}, which the gateway cannot read: send it as UTF-8`,
      path,
    );
  if (url.base64) return decoder.decode(Buffer.from(url.data, "base64"));
  return url.data.replace(ESCAPES, (run) => decodedRun(run, decoder));
}

/** A decoder of the charset `label` names (WHATWG's labels: iso-8859-1 is read as windows-1252); undefined for none. */
function textDecoder(label: string, options: TextDecoderOptions): TextDecoder | undefined {
  try {
    return new TextDecoder(label, options);
  } catch {
    return undefined;
  }
}

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * A run of `%XX` escapes decoded on its own: a `%` that begins no escape (a bare "100%") or a run
 * that is no text in the charset stays as written, and no other run with it.
 */
function decodedRun(run: string, decoder: TextDecoder): string {
  const bytes = new Uint8Array(run.length / 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
  try {
    return decoder.decode(bytes);
  } catch {
    return run;
  }
}

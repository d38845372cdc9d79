import { shown } from "../../core/cut-words.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { type DataUrl, isTextDataUrl, notBase64, readDataUrl } from "../data-url.ts";
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
    const text = textOf(url, path, named);
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

/** A text data: URL's text, read in its charset: a charset no decoder knows is the caller's 400. */
function textOf(url: DataUrl, path: string, named: string): string {
  const charset = url.charset ?? "utf-8";
  // Bytes that are no text in the charset are read as U+FFFD, as a browser reads a data: URL.
  const decoder = textDecoder(charset);
  if (decoder === undefined)
    throw badRequest(
      `${path}: part "file" holds text${named} in charset ${shown(charset)}, which the gateway cannot read: send it as UTF-8`,
      path,
    );
  return decoder.decode(url.base64 ? Buffer.from(url.data, "base64") : percentDecoded(url.data));
}

/** A decoder of the charset `label` names (WHATWG's labels: iso-8859-1 is read as windows-1252); undefined for none. */
function textDecoder(label: string): TextDecoder | undefined {
  try {
    return new TextDecoder(label);
  } catch {
    return undefined;
  }
}

/**
 * The bytes a data: URL's own form writes, as WHATWG's data: URL processor reads them: its
 * characters as UTF-8, each `%XX` escape the byte it names, a `%` that begins none (a bare "100%")
 * itself; in one pass over the bytes, written back into them (the decoded are never longer), so the
 * charset reads the whole text at once: a multibyte character of Shift_JIS, say, whose second byte
 * is written as it is (`%95\`: 表).
 */
function percentDecoded(data: string): Uint8Array {
  const bytes = Buffer.from(data, "utf8");
  let written = 0;
  for (let read = 0; read < bytes.length; read++) {
    const byte = bytes[read] as number;
    const high = byte === PERCENT ? hexValue(bytes[read + 1]) : -1;
    const low = high < 0 ? -1 : hexValue(bytes[read + 2]);
    if (low < 0) {
      bytes[written++] = byte;
      continue;
    }
    bytes[written++] = high * 16 + low;
    read += 2;
  }
  return bytes.subarray(0, written);
}

const PERCENT = 0x25;

/** Each byte's value as a hex digit, -1 for none. */
const HEX = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  const char = digit.toString(16);
  HEX[char.charCodeAt(0)] = digit;
  HEX[char.toUpperCase().charCodeAt(0)] = digit;
}

const hexValue = (byte: number | undefined): number => (byte === undefined ? -1 : (HEX[byte] as number));

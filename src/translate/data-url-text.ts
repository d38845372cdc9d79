import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";
import { type DataUrl, isTextDataUrl, readDataUrl } from "./data-url.ts";
import { hasText } from "./has-text.ts";

/**
 * Whether a file's `file_data` is a text file (data-url.ts `isTextDataUrl`) of no text but
 * whitespace: every translation leaves one out, as a blank text part is (Anthropic refuses an empty
 * document, Gemini "an empty text parameter", Converse an empty document's bytes), and it has
 * nothing to read. Its charset read as `dataUrlText` reads it, UTF-8 where none is known.
 */
export function isBlankTextFile(fileData: string | undefined): boolean {
  if (fileData === undefined || !isTextDataUrl(fileData)) return false;
  const url = readDataUrl(fileData);
  if (url === undefined) return false;
  const decoder = textDecoder(url.charset ?? "utf-8") ?? new TextDecoder();
  return !hasText(decoder.decode(dataUrlBytes(url)));
}

/** A data: URL's bytes: from base64, or its own form's percent-encoding. */
const dataUrlBytes = (url: DataUrl): Uint8Array =>
  url.base64 ? Buffer.from(url.data, "base64") : percentDecoded(url.data);

/** A text data: URL's text, read in its charset: a charset no decoder knows is the caller's 400. */
export function dataUrlText(url: DataUrl, path: string, named: string): string {
  const charset = url.charset ?? "utf-8";
  // Bytes that are no text in the charset are read as U+FFFD, as a browser reads a data: URL.
  const decoder = textDecoder(charset);
  if (decoder === undefined)
    throw badRequest(
      `${path}: part "file" holds text${named} in charset ${shown(charset)}, which the gateway cannot read: send it as UTF-8`,
      path,
    );
  return decoder.decode(dataUrlBytes(url));
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

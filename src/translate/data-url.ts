import { shown } from "../core/cut-words.ts";
import { badRequest, type GatewayError } from "../core/gateway-error.ts";

/**
 * A `data:` URL (RFC 2397) read: its media type, in lower case and as registered (`registered`),
 * without the parameters that may follow it; its `charset` parameter, when named; and its payload,
 * base64 or (`base64: false`) the URL-encoded characters themselves (`data:text/plain,hello%20world`).
 * A URL that names no type is `text/plain` in its own form, as RFC 2397 has it, but "" in base64,
 * whose bytes may be anything (a PDF's): nothing is assumed of them.
 */
export interface DataUrl {
  readonly mediaType: string;
  readonly data: string;
  readonly base64: boolean;
  readonly charset?: string;
}

/**
 * A `data:` URL as it is written, base64 or not; undefined for any other URL. Its scheme
 * (RFC 3986) and media type (RFC 2045) are read in any case, `DATA:IMAGE/PNG` as `data:image/png`:
 * upstreams take the type only in lower case (Claude's `media_type`, Converse's `format`).
 */
export function readDataUrl(url: string): DataUrl | undefined {
  if (!DATA_SCHEME.test(url)) return undefined;
  const comma = url.indexOf(",");
  if (comma < 0) return undefined;
  const [named = "", ...parameters] = url.slice("data:".length, comma).split(";");
  // `;base64` is the last of the parameters, when there.
  const base64 = parameters.at(-1)?.toLowerCase() === "base64";
  const mediaType = named === "" && !base64 ? "text/plain" : registered(named.toLowerCase());
  const charset = unquoted(
    parameters.find((parameter) => /^charset=/i.test(parameter))?.slice("charset=".length),
  );
  return { mediaType, data: url.slice(comma + 1), base64, ...(charset ? { charset } : {}) };
}

/**
 * A media type as registered: `image/jpg`, which no registry names but many data: URLs say (a
 * file's extension made a type), is `image/jpeg`, the only name Gemini ("Unsupported MIME type:
 * image/jpg"), Claude and Converse take.
 */
const registered = (mediaType: string): string => (mediaType === "image/jpg" ? "image/jpeg" : mediaType);

/** A parameter's value without the one pair of quotes RFC 2045 lets it be written in (`charset="utf-8"`). */
const unquoted = (value: string | undefined): string | undefined =>
  value !== undefined && value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;

/**
 * Whether `data` is a data: URL of text, known from its start alone (what `readDataUrl` reads of it,
 * without reading it): a `text/*` type in any case (`DATA:TEXT/csv,…`), or none in the URL's own
 * form (`data:,…`, `data:;charset=…,…`: RFC 2397's text/plain), never none in base64
 * (`data:;base64,…`, whose bytes may be anything: a PDF's). Allocates nothing: a prompt's estimate
 * asks it of every file part (media-tokens.ts), and Claude's translation of each (file-document.ts).
 */
export function isTextDataUrl(data: string): boolean {
  const typed = TEXT_TYPE.test(data);
  if (!typed && !UNTYPED.test(data)) return false;
  const comma = data.indexOf(",");
  return comma > 0 && (typed || !isBase64Before(data, comma));
}

/**
 * Whether the data: URL `data`, whose payload begins after the comma at `comma`, is base64: its
 * last parameter is `;base64`, in any case (RFC 2397). Allocates nothing.
 */
export function isBase64Before(data: string, comma: number): boolean {
  BASE64_END.lastIndex = comma - ";base64".length;
  return BASE64_END.lastIndex >= 0 && BASE64_END.test(data);
}

const DATA_SCHEME = /^data:/i;
const TEXT_TYPE = /^data:text\//i;
const UNTYPED = /^data:[;,]/i;
/** Sticky: tested where `isBase64Before` sets it, and nowhere else. */
const BASE64_END = /;base64,/iy;

/**
 * Whether `url` is a `data:` URL, base64 or not (what `readDataUrl` reads, without reading it).
 * Allocates nothing: asked of every image part of a call as it is adapted (chat-url-parts.ts).
 */
export function isDataUrl(url: string): boolean {
  return DATA_SCHEME.test(url) && url.indexOf(",") >= 0;
}

/** Whether `url` is a base64 `data:` URL (what `parseDataUrl` reads, without reading it); allocates nothing. */
export function isBase64DataUrl(url: string): boolean {
  if (!DATA_SCHEME.test(url)) return false;
  const comma = url.indexOf(",");
  return comma >= 0 && isBase64Before(url, comma);
}

/** A base64 `data:` URL split into its media type and payload; undefined for any other URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const read = readDataUrl(url);
  return read?.base64 ? read : undefined;
}

/**
 * The caller's 400 at `path` for a data: URL in its own form where only base64 is read (every
 * medium but a text file to Claude): that it is one, not that it is no data: URL; `part` the
 * content part's type, `filename` its file's name, when it has one.
 */
export function notBase64(path: string, part: string, url: DataUrl, filename?: string): GatewayError {
  const named = filename ? ` (${shown(filename)})` : "";
  return badRequest(
    `${path}: part "${part}" holds ${shown(url.mediaType)}${named} in a data: URL that is not base64-encoded (no ";base64,"): send its bytes as base64`,
    path,
  );
}

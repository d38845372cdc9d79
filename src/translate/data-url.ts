/**
 * A `data:` URL (RFC 2397) read: its media type, without the parameters that may follow it
 * (`;charset=utf-8`), `text/plain` when it names none; and its payload, base64 or (`base64: false`)
 * the URL-encoded characters themselves (`data:text/plain,hello%20world`).
 */
export interface DataUrl {
  readonly mediaType: string;
  readonly data: string;
  readonly base64: boolean;
}

/** A `data:` URL as it is written, base64 or not; undefined for any other URL. */
export function readDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith("data:")) return undefined;
  const comma = url.indexOf(",");
  if (comma < 0) return undefined;
  const [mediaType = "", ...parameters] = url.slice("data:".length, comma).split(";");
  // `;base64` is the last of the parameters, when there.
  const base64 = parameters.at(-1)?.toLowerCase() === "base64";
  return { mediaType: mediaType === "" ? "text/plain" : mediaType, data: url.slice(comma + 1), base64 };
}

/** A base64 `data:` URL split into its media type and payload; undefined for any other URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const read = readDataUrl(url);
  return read?.base64 ? read : undefined;
}

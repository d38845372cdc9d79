/** `Content-Encoding` names, as `fetch` decodes them, and the DecompressionStream format of each. */
const FORMATS: Record<string, CompressionFormat> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "brotli" as CompressionFormat,
  zstd: "zstd" as CompressionFormat,
};

/**
 * A body decoded as `fetch` decodes it: every coding it knows undone, last applied first; the
 * headers stay as the server sent them (`content-encoding` and the encoded `content-length`
 * included), as with `fetch`. A coding it does not know leaves the body as it came.
 */
export function decodedBody(body: ReadableStream<Uint8Array>, encoding: string): ReadableStream<Uint8Array> {
  const codings = encoding.toLowerCase().split(",");
  const formats: CompressionFormat[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = (codings[i] as string).trim();
    if (coding === "identity" || coding === "") continue;
    const format = FORMATS[coding];
    if (!format) return body;
    formats.push(format);
  }
  let decoded = body;
  for (const format of formats) {
    decoded = decoded.pipeThrough(
      new DecompressionStream(format) as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  }
  return decoded;
}

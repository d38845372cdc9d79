import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { badRequest, GatewayError } from "../core/gateway-error.ts";

const tooLarge = (max: number) =>
  new GatewayError({
    status: 413,
    code: "payload_too_large",
    message: `request body exceeds the limit of ${max} bytes`,
  });

/**
 * Reads a JSON object body without ever holding more than `maxBytes`: a declared length over
 * the limit is refused before reading, and a chunked body is cut off as soon as it passes it.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonObject> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body)
    throw badRequest("request body is empty; expected a JSON object", undefined, "invalid_json");
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      void reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
  } catch {
    throw badRequest("request body is not valid JSON", undefined, "invalid_json");
  }
  if (!isJsonObject(parsed))
    throw badRequest("request body must be a JSON object", undefined, "invalid_json");
  return parsed;
}

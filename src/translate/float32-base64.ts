/**
 * A vector as OpenAI's `encoding_format: "base64"` has it (the OpenAI SDKs' default): its values'
 * little-endian float32 bytes, in base64.
 */
export function float32Base64(vector: readonly number[]): string {
  const bytes = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((value, i) => {
    bytes.setFloat32(i * 4, value, true);
  });
  return Buffer.from(bytes.buffer).toString("base64");
}

/**
 * A UUIDv7 (RFC 9562) of `now`: 48 bits of Unix milliseconds, then 74 random bits around the
 * version and variant. Not `Bun.randomUUIDv7()`, whose 12 bits after the version count up within a
 * millisecond: an id shown to one tenant's readers then told how many ids other tenants' requests
 * were given in between.
 */
export function randomUuidV7(now: number = Date.now()): string {
  const bytes = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  // A clock's reading as whole milliseconds within the 48 bits (an injected test clock may give any).
  bytes.writeUIntBE(Math.min(Math.max(Math.floor(now), 0), 2 ** 48 - 1), 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

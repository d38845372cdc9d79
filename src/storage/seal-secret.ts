import { randomBytes } from "node:crypto";

/** A 256-bit key's worth: what HKDF draws the seals' keys from (core/shared-key.ts). */
const BYTES = 32;

/** A new secret, as the stores keep it: 32 random bytes, base64url. */
export const newSealSecret = (): string => randomBytes(BYTES).toString("base64url");

/**
 * The bytes of a kept secret. A row that is not one (edited by hand) fails the start rather than
 * seal under a weaker key; the message names the table, never the value.
 */
export function sealSecretBytes(kept: string): Uint8Array {
  const bytes = Buffer.from(kept, "base64url");
  if (bytes.length !== BYTES || bytes.toString("base64url") !== kept)
    throw new Error(
      `seal_secret holds no secret of ${BYTES} bytes (base64url): delete its row to make a new one`,
    );
  return new Uint8Array(bytes);
}

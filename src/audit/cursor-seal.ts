import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { sharedKey } from "../core/shared-key.ts";

/** Binds the derived key to this one use of the secret. */
const INFO = "mindgw audit cursor";
const NONCE = 12;
const TAG = 16;

/** Bytes sealed into a cursor's text and opened from it: encrypted and authenticated. */
export interface CursorSeal {
  seal(bytes: Uint8Array): string;
  /** What `seal` was given, or undefined when the text is not one of this key's seals unchanged. */
  open(text: string): Uint8Array | undefined;
}

/**
 * AES-256-GCM under a key every node of a cluster derives from `cluster.secret` (a single node's is
 * its process's own: core/shared-key.ts), a fresh nonce each seal, as base64url. The nonce is
 * random: 96 bits are enough for the cursors one key seals in its life.
 */
export function cursorSeal(sharedSecret: string | undefined): CursorSeal {
  const key = sharedKey(sharedSecret, INFO);
  return {
    seal(bytes) {
      const nonce = randomBytes(NONCE);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      const sealed = Buffer.concat([nonce, cipher.update(bytes), cipher.final(), cipher.getAuthTag()]);
      return sealed.toString("base64url");
    },
    open(text) {
      const sealed = Buffer.from(text, "base64url");
      // base64url decoding skips what it cannot read: only a text that is the seal's own opens.
      if (sealed.length < NONCE + TAG || sealed.toString("base64url") !== text) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
        const body = sealed.subarray(NONCE, sealed.length - TAG);
        return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
      } catch {
        return undefined;
      }
    },
  };
}

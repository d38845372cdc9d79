import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { type SealSecret, sharedKey } from "./shared-key.ts";

const NONCE = 12;
const TAG = 16;

/** What a seal is for; "audit cursor" derives the key it always had (nodes of a release before open it). */
export type CursorUse = "audit cursor" | "admin action id";

/** Bytes sealed into a cursor's text and opened from it: encrypted and authenticated. */
export interface CursorSeal {
  seal(bytes: Uint8Array): string;
  /** What `seal` was given, or undefined when the text is not one of this key's seals unchanged. */
  open(text: string): Uint8Array | undefined;
}

/**
 * AES-256-GCM under a key every node derives from the secret they share (`cluster.secret`, else the
 * one kept in storage; an embedder's storage that keeps none, its process's own: core/shared-key.ts),
 * a fresh nonce each seal, as base64url. The nonce is
 * random: 96 bits are enough for the cursors one key seals in its life. `use` names what is sealed
 * (`audit cursor`, `admin action id`): a key of its own each, so one use's seal is never opened
 * as another's.
 */
export function cursorSeal(secret: SealSecret, use: CursorUse): CursorSeal {
  const key = sharedKey(secret, `mindgw ${use}`);
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

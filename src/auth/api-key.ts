import { KEY_BODY_LENGTH } from "../core/credential-shapes.ts";
import { KEY_ID_PREFIX } from "./caller-id.ts";

/** Every mindgw API key starts with this, so it is recognisable in a leak scanner and in auth. */
export const API_KEY_PREFIX = "mgw_";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const KEY_PATTERN = /^mgw_[A-Za-z0-9]{43}$/;

/** A freshly generated key: `plain` is shown once; only `hash`, `prefix` and `last4` are stored. */
export interface GeneratedApiKey {
  plain: string;
  hash: string;
  prefix: string;
  last4: string;
}

export function generateApiKey(): GeneratedApiKey {
  let body = "";
  while (body.length < KEY_BODY_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(64))) {
      // Bytes ≥ 248 are dropped so every character is equally likely (248 = 4 × 62).
      if (byte < 248 && body.length < KEY_BODY_LENGTH) body += ALPHABET[byte % 62];
    }
  }
  const plain = API_KEY_PREFIX + body;
  return { plain, hash: hashApiKey(plain), prefix: plain.slice(0, 8), last4: plain.slice(-4) };
}

/**
 * Read from `Bun` once: `Bun`'s properties are made on their first read, and each one made
 * changes the object's shape, which threw away the optimised code of every function that reads
 * `Bun.SHA256` on each call (the key's hash is taken every request).
 */
const { SHA256 } = Bun;

/** SHA-256 hex of the full key. Keys are 256-bit random, so a fast unsalted hash is sound. */
export function hashApiKey(plain: string): string {
  return SHA256.hash(plain, "hex");
}

/**
 * True when the string has the exact shape of a key. Lookups skip the store for anything
 * else, which also means a stored hash (64 hex chars, no prefix) can never authenticate.
 */
export function isApiKeyShaped(token: string): boolean {
  return KEY_PATTERN.test(token);
}

/** `mgw_AbCd…wxyz`: enough to recognise a key in a listing, useless to an attacker. */
export function displayKey(prefix: string, last4: string): string {
  return `${prefix}…${last4}`;
}

/** Short random identifier for a key record (not secret). */
export function newKeyId(): string {
  return `${KEY_ID_PREFIX}${Buffer.from(crypto.getRandomValues(new Uint8Array(9))).toString("base64url")}`;
}

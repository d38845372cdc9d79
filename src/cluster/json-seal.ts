import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * JSON a node writes to Redis, sealed with an HMAC keyed by `cluster.secret`. Whatever Redis holds
 * is anyone's to write who reaches it, and the cluster's id a value is stamped with is there to
 * read (`mgw:cluster`): a directory entry stamped alone named a URL that every node then forwarded
 * prompts to, sending `cluster.secret` itself with them, and a relayed message stamped alone put
 * made-up requests in every admin's live stream. What is not sealed with the secret (forged,
 * altered, or written by a release before seals) is read as none.
 */
export interface JsonSeal {
  /** The object's JSON with its seal as a last field, `"seal"`: still the same object to any reader of JSON. */
  seal(json: string): string;
  /** The object's JSON without its seal, or null when the seal is missing or is not the secret's. */
  open(value: string): string | null;
}

const FIELD = ',"seal":"';
/** A hex HMAC-SHA256. */
const MAC_CHARS = 64;

/**
 * A seal for one kind of value, `purpose` naming it: a seal made for one kind (an entry) never
 * opens another (a relayed message), nor is it any other MAC the secret keys (the config fingerprint).
 */
function jsonSeal(secret: string, purpose: string): JsonSeal {
  const context = `mindgw ${purpose}\n`;
  const mac = (json: string) => createHmac("sha256", secret).update(context).update(json).digest("hex");
  return {
    seal: (json) => `${json.slice(0, -1)}${FIELD}${mac(json)}"}`,
    open(value) {
      const at = value.length - FIELD.length - MAC_CHARS - 2;
      if (at < 1 || !value.endsWith('"}') || value.slice(at, at + FIELD.length) !== FIELD) return null;
      const json = `${value.slice(0, at)}}`;
      const given = Buffer.from(value.slice(at + FIELD.length, -2));
      const expected = Buffer.from(mac(json));
      return given.length === expected.length && timingSafeEqual(given, expected) ? json : null;
    },
  };
}

/** A node's directory entry (directory-redis.ts). */
export const entrySeal = (secret: string): JsonSeal => jsonSeal(secret, "node directory entry");

/** A node's message on the live events channel (event-relay.ts). */
export const relaySeal = (secret: string): JsonSeal => jsonSeal(secret, "event relay message");

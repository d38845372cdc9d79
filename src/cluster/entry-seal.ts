import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * A node's directory entry, sealed with an HMAC keyed by `cluster.secret`. Whatever Redis holds is
 * anyone's to write who reaches it, and the cluster's id an entry is stamped with is there to read
 * (`mgw:cluster`): an entry stamped alone named a URL that every node then forwarded prompts to,
 * sending `cluster.secret` itself with them. An entry that is not sealed with the secret (forged,
 * altered, or written by a release before seals) is read as none.
 */
export interface EntrySeal {
  /** The entry's JSON with its seal as a last field, `"seal"`: still an entry to any reader of JSON. */
  seal(json: string): string;
  /** The entry's JSON without its seal, or null when the seal is missing or is not the secret's. */
  open(value: string): string | null;
}

const FIELD = ',"seal":"';
/** A hex HMAC-SHA256. */
const MAC_CHARS = 64;
/** Keeps the seal's MAC apart from any other the secret keys (the config fingerprint's). */
const CONTEXT = "mindgw node directory entry\n";

export function entrySeal(secret: string): EntrySeal {
  const mac = (json: string) => createHmac("sha256", secret).update(CONTEXT).update(json).digest("hex");
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

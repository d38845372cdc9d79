import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * JSON a node writes to Redis, sealed with an HMAC keyed by `cluster.secret`. Whatever Redis holds
 * is anyone's to write who reaches it, and the cluster's id a value is stamped with is there to
 * read (`mgw:cluster`): a directory entry stamped alone named a URL that every node then forwarded
 * prompts to, sending `cluster.secret` itself with them, and a relayed message stamped alone put
 * made-up requests in every admin's live stream. What is not sealed with the secret (forged,
 * altered, or written by a release before seals) is read as none.
 *
 * A seal dates the value, so a genuine one copied is not taken for long: an earlier process's
 * entry (its URL and workers) written back without expiry, a relayed message published again. Its
 * `sealedAt` is Redis's time as the sealing node reads it (redis-clock.ts `redisNow`), not its own
 * clock: nodes whose clocks disagree, or one that NTP steps, date alike. How long it is taken,
 * `validFor`, is the writer's and sealed with it: `cluster.heartbeat` changes only at a restart, so
 * during a rolling restart that changes it nodes beat at different rates, and a reader that judged
 * by its own settings dropped a slower writer's entry between two of its writes.
 */
export interface JsonSeal {
  /** The object's JSON with the time and its seal as last fields, `"sealedAt"` and `"seal"`: still the same object to any reader of JSON. */
  seal(json: string): string;
  /**
   * The object's JSON as given to `seal`, or null when the seal is missing or is not the secret's,
   * or the value was sealed longer ago than its writer's `validFor` or this reader's `maxAgeMs`,
   * whichever is less (or as far ahead).
   */
  open(value: string): string | null;
  /**
   * As `open`, with how much longer this reader takes the value (ms: the bound less its age), for
   * a value read once and kept (a predecessor's entry: node-directory.ts), not read again each beat.
   */
  openLeft(value: string): { json: string; leftMs: number } | null;
  /** The longest a sealed value is taken by this reader, whatever its writer sealed. */
  readonly maxAgeMs: number;
}

/** The clock a seal dates by, and how long a value it seals, and one it reads, is taken. */
export interface SealClock {
  /** Redis's time in epoch ms, as this node reads it (redis-clock.ts `redisNow`). */
  now: () => number;
  /** How long a value this node seals is taken by every reader (config/cluster-config.ts `sealValidityMs`), sealed into it. */
  validForMs: number;
  /** The longest this node takes a value, whatever its writer sealed (config/cluster-config.ts `MAX_SEAL_VALIDITY_MS`, or its own validity for relayed messages). */
  maxAgeMs: number;
}

const FIELD = ',"seal":"';
const SEALED_AT = ',"sealedAt":';
const VALID_FOR = ',"validFor":';
/** A hex HMAC-SHA256. */
const MAC_CHARS = 64;

/**
 * A seal for one kind of value, `purpose` naming it: a seal made for one kind (an entry) never
 * opens another (a relayed message), nor is it any other MAC the secret keys (the config
 * fingerprint). `json` is a non-empty object's.
 */
function jsonSeal(secret: string, purpose: string, clock: SealClock): JsonSeal {
  const context = `mindgw ${purpose}\n`;
  const mac = (json: string) => createHmac("sha256", secret).update(context).update(json).digest("hex");
  function openLeft(value: string): { json: string; leftMs: number } | null {
    const at = value.length - FIELD.length - MAC_CHARS - 2;
    if (at < 1 || !value.endsWith('"}') || value.slice(at, at + FIELD.length) !== FIELD) return null;
    const dated = `${value.slice(0, at)}}`;
    const given = Buffer.from(value.slice(at + FIELD.length, -2));
    const expected = Buffer.from(mac(dated));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    // The secret's own writing: the last `"sealedAt"` and `"validFor"` are the seal's, whatever fields came before.
    const validAt = dated.lastIndexOf(VALID_FOR);
    const dateAt = dated.lastIndexOf(SEALED_AT, validAt);
    if (validAt < 0 || dateAt < 0) return null;
    const sealedAt = Number(dated.slice(dateAt + SEALED_AT.length, validAt));
    const validFor = Math.min(Number(dated.slice(validAt + VALID_FOR.length, -1)), clock.maxAgeMs);
    const now = clock.now();
    if (!(Math.abs(now - sealedAt) <= validFor)) return null;
    return { json: `${dated.slice(0, dateAt)}}`, leftMs: sealedAt + validFor - now };
  }
  return {
    maxAgeMs: clock.maxAgeMs,
    seal(json) {
      const validFor = Math.round(clock.validForMs);
      const dated = `${json.slice(0, -1)}${SEALED_AT}${Math.round(clock.now())}${VALID_FOR}${validFor}}`;
      return `${dated.slice(0, -1)}${FIELD}${mac(dated)}"}`;
    },
    open: (value) => openLeft(value)?.json ?? null,
    openLeft,
  };
}

/** A node's directory entry (directory-redis.ts). */
export const entrySeal = (secret: string, clock: SealClock): JsonSeal =>
  jsonSeal(secret, "node directory entry", clock);

/** A node's message on the live events channel (event-relay.ts). */
export const relaySeal = (secret: string, clock: SealClock): JsonSeal =>
  jsonSeal(secret, "event relay message", clock);

import { hkdfSync, randomBytes } from "node:crypto";

/**
 * What seals are keyed from: `cluster.secret`, else the secret kept in storage
 * (`Storage.sealSecret`), else none, and each process draws a key of its own.
 */
export type SealSecret = string | Uint8Array | undefined;

/**
 * A 256-bit key for one use (`info` names it), the same on every node of a cluster and across
 * restarts: derived from the secret they share (`cluster.secret`, or the one kept in their
 * storage). Without one (an embedder's storage that keeps none) it is this process's own, so what
 * it sealed is not opened after a restart.
 */
export const sharedKey = (secret: SealSecret, info: string): Uint8Array =>
  secret === undefined ? randomBytes(32) : new Uint8Array(hkdfSync("sha256", secret, "", info, 32));

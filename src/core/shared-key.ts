import { hkdfSync, randomBytes } from "node:crypto";

/**
 * A 256-bit key for one use (`info` names it), the same on every node of a cluster: derived from
 * the secret they share (`cluster.secret`). Without one (a single node) it is this process's own,
 * so what it sealed is not opened after a restart.
 */
export const sharedKey = (sharedSecret: string | undefined, info: string): Uint8Array =>
  sharedSecret === undefined
    ? randomBytes(32)
    : new Uint8Array(hkdfSync("sha256", sharedSecret, "", info, 32));

import type { Config } from "../config/config-schema.ts";
import type { SealSecret } from "../core/shared-key.ts";
import type { Storage } from "../storage/storage.ts";

/**
 * The secret this gateway seals with, read once as it starts so that sealing stays synchronous on
 * the request path: `cluster.secret` when set (the storage's is then not read), else the one kept
 * in storage, else none (a key per process: an embedder's storage without `sealSecret`).
 */
export const sealSecretOf = async (config: Config, storage: Storage): Promise<SealSecret> =>
  config.cluster?.secret ?? (await storage.sealSecret?.());

import { madeOnce } from "../made-once.ts";
import { newSealSecret, sealSecretBytes } from "../seal-secret.ts";
import type { PostgresCalls } from "./postgres-calls.ts";

/**
 * The secret nodes without `cluster.secret` seal with, read once by a gateway as it starts.
 * Made at random by the first node that finds none: nodes starting together agree (the first
 * insert wins, the others read it). Each call is bounded as any store call's.
 */
export const postgresSealSecret = async (calls: PostgresCalls): Promise<Uint8Array> =>
  sealSecretBytes(
    await madeOnce(
      "seal_secret",
      async () =>
        (await calls.read<{ secret: string }[]>((db) => db`SELECT secret FROM seal_secret`))[0]?.secret,
      () =>
        calls.write(
          (db) =>
            db`INSERT INTO seal_secret (secret, created_at) VALUES (${newSealSecret()}, ${Date.now()}) ON CONFLICT DO NOTHING`,
        ),
    ),
  );

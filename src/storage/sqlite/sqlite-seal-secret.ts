import type { Database } from "bun:sqlite";
import { madeOnce } from "../made-once.ts";
import { newSealSecret, sealSecretBytes } from "../seal-secret.ts";
import type { Storage } from "../storage.ts";
import { migrate } from "./migrate.ts";
import { sealMigrations } from "./seal-migrations.ts";

/** `Storage.sealSecret` on one SQLite file: the table migrated at open, its row made at first ask. */
export function createSqliteSealSecret(db: Database): NonNullable<Storage["sealSecret"]> {
  migrate(db, "seal", sealMigrations);
  const read = db.query<{ secret: string }, []>("SELECT secret FROM seal_secret");
  const insert = db.query(
    "INSERT OR IGNORE INTO seal_secret (singleton, secret, created_at) VALUES (1, ?, ?)",
  );
  return async () =>
    sealSecretBytes(
      await madeOnce(
        "seal_secret",
        () => read.get()?.secret,
        () => insert.run(newSealSecret(), Date.now()),
      ),
    );
}

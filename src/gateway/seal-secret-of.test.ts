import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import type { Storage } from "../storage/storage.ts";
import { sealSecretOf } from "./seal-secret-of.ts";

/** A storage of which only `sealSecret` is read: the rest throws if touched. */
function storageKeeping(secret: Uint8Array | undefined) {
  let asked = 0;
  const storage = new Proxy({} as Storage, {
    get(_target, name) {
      if (name === "sealSecret" && secret !== undefined)
        return async () => {
          asked++;
          return secret;
        };
      if (name === "sealSecret" || name === "then") return undefined;
      throw new Error(`storage.${String(name)} read`);
    },
  });
  return { storage, asked: () => asked };
}

const kept = new Uint8Array(32).fill(7);

test("cluster.secret set: it is the secret, and the storage's is not read", async () => {
  const config = parseConfig({
    storage: { driver: "postgres", url: "postgres://db/mindgw" },
    cluster: {
      secret: "s".repeat(32),
      redis_url: "redis://127.0.0.1:1",
      advertise_url: "http://127.0.0.1:1",
    },
  });
  const { storage, asked } = storageKeeping(kept);
  expect(await sealSecretOf(config, storage)).toBe("s".repeat(32));
  expect(asked()).toBe(0);
});

test("no cluster.secret: the storage's kept secret, asked once; a storage that keeps none leaves none", async () => {
  const { storage, asked } = storageKeeping(kept);
  expect(await sealSecretOf(parseConfig({}), storage)).toBe(kept);
  expect(asked()).toBe(1);
  expect(await sealSecretOf(parseConfig({}), storageKeeping(undefined).storage)).toBeUndefined();
});

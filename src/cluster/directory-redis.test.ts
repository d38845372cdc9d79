import { expect, test } from "bun:test";
import { entryIfOurs } from "./directory-redis.ts";
import { entrySeal } from "./json-seal.ts";

const seal = entrySeal("cluster-secret-0123456789", {
  now: () => 1_700_000_000_000,
  validForMs: 6_000,
  maxAgeMs: 6_000,
});
const sealed = seal.seal(
  JSON.stringify({ id: "gw-1", cluster: "ours", url: "http://10.0.0.7:8080", at: 5, workers: [] }),
);

test("a node's sealed entry is read under its own key; copied under another node's, it is read as none", () => {
  expect(entryIfOurs("gw-1", sealed, "ours", seal)?.url).toBe("http://10.0.0.7:8080");
  expect(entryIfOurs("x", sealed, "ours", seal)).toBeNull();
  expect(entryIfOurs("gw-1", sealed, "theirs", seal)).toBeNull();
});

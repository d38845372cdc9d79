import { expect, test } from "bun:test";
import { keyView } from "../auth/key-view.ts";
import { keyRecord } from "../testing/key-record.ts";
import { namesakesIn } from "./key-namesakes.ts";

const NOW = 1_700_000_000_000;
const key = (
  id: string,
  name: string,
  tenant: string,
  over: { revokedAt?: number; expiresAt?: number } = {},
) => keyView(keyRecord({ id, name, tenant, ...over }), NOW);

test("Revoke all counts the active keys of the name in the tenant, whatever else the page holds (an older node ignores ?name=)", () => {
  // What a node of the previous release answers to ?name=u1&tenant=acme: a page of every key.
  const everyKey = [
    key("key_1", "u1", "acme"),
    key("key_2", "u1", "acme"),
    key("key_3", "u2", "acme"),
    key("key_4", "u1", "other"),
    key("key_5", "u1", "acme", { revokedAt: NOW - 1 }),
    key("key_6", "u1", "acme", { expiresAt: NOW - 1 }),
    key("key_7", "ci", "default"),
  ];
  expect(namesakesIn(everyKey, { name: "u1", tenant: "acme" })).toBe(2);
  // A node that filters answers the namesakes alone: the same count.
  expect(namesakesIn(everyKey.slice(0, 2), { name: "u1", tenant: "acme" })).toBe(2);
});

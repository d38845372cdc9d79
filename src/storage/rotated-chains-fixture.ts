import { keyRecord } from "../testing/key-record.ts";
import type { KeyRecord } from "./key-record.ts";

const key = (id: string, chain?: string): KeyRecord =>
  keyRecord({ id, hash: id.padStart(64, "0"), name: id.slice(4, 5), ...(chain ? { chain } : {}) });

/**
 * Keys an older release rotated and the spend it counted, each key under its own id (a key a
 * rotation issued started from a copy of its predecessor's total), for the spend migration that
 * folds each chain's into its first key's (test support, not shipped).
 */
export const ROTATED_CHAINS = {
  keys: [
    key("key_a1"),
    key("key_a2", "key_a1"),
    key("key_a3", "key_a1"),
    key("key_b1"),
    key("key_b2", "key_b1"),
    key("key_c1"),
    key("key_d1"),
    key("key_d2", "key_d1"),
  ],
  spend: new Map([
    // a3 was copied a2's, which was copied a1's: the newest holds the most.
    ["key_a1", 1],
    ["key_a2", 1.5],
    ["key_a3", 2.25],
    // b1 spent on in its grace window after b2 was copied its total.
    ["key_b1", 5],
    ["key_b2", 4],
    ["key_c1", 0.3],
    // d1 spent nothing before its rotation; d2 has.
    ["key_d2", 0.6],
    ["tenant:acme:2026-11", 7],
  ]),
  /** After: each chain's total its keys' largest, under its first key; the rest as they were. */
  after: {
    key_a1: 2.25,
    key_b1: 5,
    key_c1: 0.3,
    key_d1: 0.6,
    key_a3: 2.25,
    "tenant:acme:2026-11": 7,
  },
};

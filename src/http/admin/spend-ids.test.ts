import { expect, test } from "bun:test";
import { spendIds } from "./spend-ids.ts";

test("each repeated `ids` value is one id, commas and all: a JWT subject whose name holds one round-trips", () => {
  expect(spendIds(["jwt:acme:Doe, John", "key_AbC-d_9"])).toEqual(["jwt:acme:Doe, John", "key_AbC-d_9"]);
});

test("the old comma form is split where it is unambiguous: the key ids it starts with (a key id holds no comma), the rest one id", () => {
  expect(spendIds(["key_a1,key_B-2,key_c_3"])).toEqual(["key_a1", "key_B-2", "key_c_3"]);
  expect(spendIds(["key_a1,jwt:acme:Doe, John"])).toEqual(["key_a1", "jwt:acme:Doe, John"]);
  // A subject id may hold anything after its tenant, `,key_a1` too.
  expect(spendIds(["jwt:acme:sub,key_a1"])).toEqual(["jwt:acme:sub,key_a1"]);
  expect(spendIds(["", "key_a1,,key_b2,"])).toEqual(["key_a1", "key_b2"]);
});

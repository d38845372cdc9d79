import { expect, test } from "bun:test";
import { entrySeal, relaySeal } from "./json-seal.ts";

const entry = JSON.stringify({ id: "n1", url: "http://10.0.0.7:8080", at: 5, workers: [] });
const seal = entrySeal("cluster-secret-0123456789");

test("a sealed entry opens to the entry as written, and still reads as one (the seal a last field)", () => {
  const sealed = seal.seal(entry);
  expect(seal.open(sealed)).toBe(entry);
  expect(JSON.parse(sealed)).toMatchObject(JSON.parse(entry));
});

test("an entry with no seal, another secret's, or its seal kept over another URL opens to none", () => {
  const sealed = seal.seal(entry);
  expect(seal.open(entry)).toBeNull();
  expect(entrySeal("another-secret-0123456789").open(sealed)).toBeNull();
  expect(seal.open(sealed.replace("10.0.0.7", "10.0.0.9"))).toBeNull();
  expect(seal.open(sealed.replace(/"seal":"[0-9a-f]{4}/, '"seal":"0000'))).toBeNull();
  expect(seal.open('{"seal":"x"}')).toBeNull();
  expect(seal.open("")).toBeNull();
});

test("a seal made for one kind of value opens no other: an entry's is no relayed message's", () => {
  const secret = "cluster-secret-0123456789";
  expect(relaySeal(secret).open(entrySeal(secret).seal(entry))).toBeNull();
  expect(relaySeal(secret).open(relaySeal(secret).seal(entry))).toBe(entry);
});

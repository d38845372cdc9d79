import { expect, test } from "bun:test";
import { entrySeal, relaySeal, type SealClock } from "./json-seal.ts";

const entry = JSON.stringify({ id: "n1", url: "http://10.0.0.7:8080", at: 5, workers: [] });
const secret = "cluster-secret-0123456789";
/** Redis's time as the nodes read it: moved by the tests. */
let redisNow = 1_700_000_000_000;
const clock: SealClock = { now: () => redisNow, maxAgeMs: 6_000 };
const seal = entrySeal(secret, clock);

test("a sealed entry opens to the entry as written, and still reads as one (the time and seal last fields)", () => {
  const sealed = seal.seal(entry);
  expect(seal.open(sealed)).toBe(entry);
  expect(JSON.parse(sealed)).toMatchObject({ ...JSON.parse(entry), sealedAt: redisNow });
});

test("an entry with no seal, another secret's, or its seal kept over another URL or time opens to none", () => {
  const sealed = seal.seal(entry);
  expect(seal.open(entry)).toBeNull();
  expect(entrySeal("another-secret-0123456789", clock).open(sealed)).toBeNull();
  expect(seal.open(sealed.replace("10.0.0.7", "10.0.0.9"))).toBeNull();
  expect(seal.open(sealed.replace(/"seal":"[0-9a-f]{4}/, '"seal":"0000'))).toBeNull();
  expect(seal.open(sealed.replace(`"sealedAt":${redisNow}`, `"sealedAt":${redisNow + 60_000}`))).toBeNull();
  expect(seal.open('{"seal":"x"}')).toBeNull();
  expect(seal.open("")).toBeNull();
});

test("a sealed value is taken for maxAgeMs after its sealing, and not once older (a genuine one copied and kept), nor from as far ahead", () => {
  const sealedAt = redisNow;
  const sealed = seal.seal(entry);
  try {
    redisNow = sealedAt + 6_000;
    expect(seal.open(sealed)).toBe(entry);
    redisNow = sealedAt + 6_001;
    expect(seal.open(sealed)).toBeNull();
    redisNow = sealedAt - 6_001;
    expect(seal.open(sealed)).toBeNull();
  } finally {
    redisNow = sealedAt;
  }
});

test("a seal made for one kind of value opens no other: an entry's is no relayed message's", () => {
  expect(relaySeal(secret, clock).open(entrySeal(secret, clock).seal(entry))).toBeNull();
  expect(relaySeal(secret, clock).open(relaySeal(secret, clock).seal(entry))).toBe(entry);
});

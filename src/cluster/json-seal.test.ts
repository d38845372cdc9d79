import { expect, test } from "bun:test";
import { entrySeal, relaySeal, type SealClock } from "./json-seal.ts";

const entry = JSON.stringify({ id: "n1", url: "http://10.0.0.7:8080", at: 5, workers: [] });
const secret = "cluster-secret-0123456789";
/** Redis's time as the nodes read it: moved by the tests. */
let redisNow = 1_700_000_000_000;
const clock: SealClock = { now: () => redisNow, validForMs: 6_000, maxAgeMs: 6_000 };
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

test("a sealed value is taken for as long as its writer sealed it for, whatever the reader's own bound: nodes on different heartbeats (a rolling restart changing cluster.heartbeat) read each other's entries until they expire", () => {
  const sealedAt = redisNow;
  // A node on a 10 s heartbeat re-seals every 10 s, its entry standing 30 s; the reader beats every 1 s.
  const slowWriter = entrySeal(secret, { now: () => redisNow, validForMs: 33_000, maxAgeMs: 3_600_000 });
  const fastReader = entrySeal(secret, { now: () => redisNow, validForMs: 6_000, maxAgeMs: 3_600_000 });
  const sealed = slowWriter.seal(entry);
  try {
    redisNow = sealedAt + 9_999;
    expect(fastReader.open(sealed)).toBe(entry);
    redisNow = sealedAt + 33_000;
    expect(fastReader.open(sealed)).toBe(entry);
    redisNow = sealedAt + 33_001;
    expect(fastReader.open(sealed)).toBeNull();
    // And the other way: the slow node does not take the fast one's entry past what it was sealed for.
    redisNow = sealedAt;
    const fast = fastReader.seal(entry);
    redisNow = sealedAt + 6_001;
    expect(slowWriter.open(fast)).toBeNull();
  } finally {
    redisNow = sealedAt;
  }
});

test("a writer's validity is taken up to the reader's maxAgeMs and no longer", () => {
  const sealedAt = redisNow;
  const writer = entrySeal(secret, { now: () => redisNow, validForMs: 60_000, maxAgeMs: 60_000 });
  const capped = entrySeal(secret, { now: () => redisNow, validForMs: 6_000, maxAgeMs: 20_000 });
  const sealed = writer.seal(entry);
  try {
    redisNow = sealedAt + 20_000;
    expect(capped.open(sealed)).toBe(entry);
    redisNow = sealedAt + 20_001;
    expect(capped.open(sealed)).toBeNull();
  } finally {
    redisNow = sealedAt;
  }
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

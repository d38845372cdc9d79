import { expect, test } from "bun:test";
import { LoginSeal } from "./login-seal.ts";

const pending = { state: "st-1", verifier: "ver-1", nonce: "non-1" };
const SECRET = "test-cluster-secret-0123456789";
const TEN_MINUTES = 10 * 60_000;

test("a login sealed on one node opens on another that shares the cluster secret", async () => {
  const sealed = await LoginSeal.of(SECRET).seal(pending, TEN_MINUTES);
  expect(await LoginSeal.of(SECRET).open(sealed)).toEqual(pending);
  // Encrypted: the PKCE verifier and the nonce are not readable in the cookie.
  for (const part of sealed.split("."))
    expect(Buffer.from(part, "base64url").toString()).not.toContain("ver-1");
});

test("another secret, or none (a key of the process's own), does not open it", async () => {
  const sealed = await LoginSeal.of(SECRET).seal(pending, TEN_MINUTES);
  expect(await LoginSeal.of("another-secret-0123456789").open(sealed)).toBeUndefined();
  const own = LoginSeal.of(undefined);
  const mine = await own.seal(pending, TEN_MINUTES);
  expect(await own.open(mine)).toEqual(pending);
  expect(await LoginSeal.of(undefined).open(mine)).toBeUndefined();
});

test("a changed, cut or foreign value is refused, never thrown", async () => {
  const seal = LoginSeal.of(SECRET);
  const sealed = await seal.seal(pending, TEN_MINUTES);
  const parts = sealed.split(".");
  // The ciphertext's first character changed: its last one may carry only padding bits, which
  // decoding ignores (a change there was no change one run in sixteen).
  const text = parts[3]!;
  const tampered = [...parts.slice(0, 3), `${text[0] === "A" ? "B" : "A"}${text.slice(1)}`, parts[4]].join(
    ".",
  );
  for (const value of [tampered, sealed.slice(0, -5), "st-1", "", "a.b.c.d.e"])
    expect(await seal.open(value)).toBeUndefined();
});

test("the seal expires with the sign-in's time to live", async () => {
  let now = Date.UTC(2026, 11, 4, 12);
  const seal = LoginSeal.of(SECRET, () => now);
  const sealed = await seal.seal(pending, TEN_MINUTES);
  now += TEN_MINUTES - 1000;
  expect(await seal.open(sealed)).toEqual(pending);
  now += 2000;
  expect(await seal.open(sealed)).toBeUndefined();
});

test("the session the browser held is sealed with the login, as its id hash, and opened with it", async () => {
  const seal = LoginSeal.of(SECRET);
  const endsSession = "a".repeat(64);
  expect(await seal.open(await seal.seal({ ...pending, endsSession }, TEN_MINUTES))).toEqual({
    ...pending,
    endsSession,
  });
  // Anything but a SHA-256 hex hash (a raw session id) is not a login this seal made.
  expect(
    await seal.open(await seal.seal({ ...pending, endsSession: "raw-id" }, TEN_MINUTES)),
  ).toBeUndefined();
});

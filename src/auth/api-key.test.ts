import { describe, expect, test } from "bun:test";
import { displayKey, generateApiKey, hashApiKey, isApiKeyShaped, newKeyId } from "./api-key.ts";
import { subjectIdParts } from "./caller-id.ts";
import { compileGlob, matchesAny } from "./model-glob.ts";
import { callerId, callerSubject, canUseModel, limitSubject, type Principal } from "./principal.ts";

describe("API keys", () => {
  test("are mgw_ plus 43 base62 characters, unique, hashed with SHA-256", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey();
      expect(key.plain).toMatch(/^mgw_[A-Za-z0-9]{43}$/);
      expect(key.hash).toBe(new Bun.CryptoHasher("sha256").update(key.plain).digest("hex"));
      expect(key.prefix).toBe(key.plain.slice(0, 8));
      expect(key.last4).toBe(key.plain.slice(-4));
      seen.add(key.plain);
    }
    expect(seen.size).toBe(200);
  });

  test("display form never reveals more than prefix and last 4", () => {
    const key = generateApiKey();
    const shown = displayKey(key.prefix, key.last4);
    expect(shown).toBe(`${key.plain.slice(0, 8)}…${key.plain.slice(-4)}`);
    expect(shown.length).toBeLessThan(16);
  });

  test("a stored hash does not have the shape of a key, with or without the prefix", () => {
    const key = generateApiKey();
    expect(isApiKeyShaped(key.plain)).toBe(true);
    expect(isApiKeyShaped(key.hash)).toBe(false);
    expect(isApiKeyShaped(`mgw_${key.hash}`)).toBe(false);
    expect(isApiKeyShaped(`${key.plain} `)).toBe(false);
    expect(hashApiKey(key.hash)).not.toBe(key.hash);
  });

  test("ids are short and distinct", () => {
    expect(newKeyId()).toMatch(/^key_[A-Za-z0-9_-]{12}$/);
    expect(newKeyId()).not.toBe(newKeyId());
  });
});

describe("model globs", () => {
  test("star, prefix, exact, and literal punctuation", () => {
    expect(matchesAny(["*"], "anything")).toBe(true);
    expect(matchesAny(["gpt-*"], "gpt-4o-mini")).toBe(true);
    expect(matchesAny(["gpt-*"], "xgpt-4")).toBe(false);
    expect(matchesAny(["llama-3.1-8b"], "llama-3.1-8b")).toBe(true);
    expect(matchesAny(["llama-3.1-8b"], "llama-3x1-8b")).toBe(false);
    expect(matchesAny(["a+b(c)"], "a+b(c)")).toBe(true);
    expect(matchesAny(["*-mini"], "gpt-4o-mini")).toBe(true);
    expect(matchesAny(["org/*"], "org/model")).toBe(true);
    expect(matchesAny([], "gpt-4")).toBe(false);
  });

  test("compiled patterns are cached", () => {
    expect(compileGlob("qwen-*")).toBe(compileGlob("qwen-*"));
  });

  test("canUseModel and limitSubject read the principal", () => {
    const p: Principal = {
      keyId: null,
      name: "bob",
      tenant: "acme",
      role: "user",
      models: ["gpt-*", "llama-*"],
      limits: {},
      via: "jwt",
    };
    expect(canUseModel(p, "llama-3")).toBe(true);
    expect(canUseModel(p, "claude-3")).toBe(false);
    expect(limitSubject(p)).toBe("jwt:acme:bob");
    expect(limitSubject({ ...p, keyId: "key_1", via: "key" })).toBe("key_1");
  });

  test("two callers are never one subject id: a tenant's ':' and '%' are escaped, an ordinary tenant's id is unchanged", () => {
    const jwt = (tenant: string, name: string): Principal => ({
      keyId: null,
      name,
      tenant,
      role: "user",
      models: ["*"],
      limits: {},
      via: "jwt",
    });
    // A free tenant claim (no `tenants:`): these two read as one caller when written as they came.
    const a = jwt("acme:alice", "bob");
    const b = jwt("acme", "alice:bob");
    expect([limitSubject(a), limitSubject(b)]).toEqual(["jwt:acme%3Aalice:bob", "jwt:acme:alice:bob"]);
    expect(limitSubject(jwt("50%:x", "y"))).toBe("jwt:50%25%3Ax:y");
    expect(limitSubject(jwt("50%3Ax", "y"))).toBe("jwt:50%253Ax:y");
    expect(limitSubject({ ...a, via: "session" })).toBe("session:acme%3Aalice:bob");
    expect(callerSubject(null, "acme:alice", "bob")).toBe("jwt:acme%3Aalice:bob");
    // Taken apart, each is its own tenant and name again.
    for (const caller of [a, b, jwt("50%:x", "y"), jwt("50%3Ax", "y"), jwt("team-a.eu_1", "a:b%3A")])
      expect(subjectIdParts(limitSubject(caller))).toEqual({
        via: "jwt",
        tenant: caller.tenant,
        name: caller.name,
      });
  });

  test("a caller is a JWT subject by how it came (via), not by having no key: a single sign-on session is none", () => {
    const sso: Principal = {
      keyId: null,
      name: "Ada",
      tenant: "default",
      role: "admin",
      models: ["*"],
      limits: {},
      via: "session",
    };
    // Recorded by the id its limits count under, as every web session is by what signed it in.
    expect([limitSubject(sso), callerId(sso)]).toEqual(["session:default:Ada", "session:default:Ada"]);
    const byJwt: Principal = { ...sso, signedInWith: "jwt" };
    expect([limitSubject(byJwt), callerId(byJwt)]).toEqual(["session:default:Ada", "jwt:default:Ada"]);
    const jwt: Principal = { ...sso, via: "jwt" };
    expect([limitSubject(jwt), callerId(jwt)]).toEqual(["jwt:default:Ada", "jwt:default:Ada"]);
    // An embedder's principal without a key id that says it is a key.
    const keyless: Principal = { ...sso, via: "key" };
    expect([limitSubject(keyless), callerId(keyless)]).toEqual(["key:default:Ada", null]);
    const signedInByKey: Principal = { ...sso, keyId: "key_1" };
    expect([limitSubject(signedInByKey), callerId(signedInByKey)]).toEqual(["key_1", "key_1"]);
  });
});

import { expect, test } from "bun:test";
import { generateKeyPairSync, sign } from "node:crypto";
import { importSPKI, jwtVerify } from "jose";
import { parseConfig } from "./load-config.ts";

const pemOf = (pair: { publicKey: { export(o: { type: "spki"; format: "pem" }): string | Buffer } }) =>
  String(pair.publicKey.export({ type: "spki", format: "pem" }));
const RSA = pemOf(generateKeyPairSync("rsa", { modulusLength: 2048 }));
const P256 = pemOf(generateKeyPairSync("ec", { namedCurve: "P-256" }));

const jwt = (public_key: string, algorithms: string[]) => ({
  auth: { jwt: { public_key, algorithms, issuer: "https://idp.test", audience: "mindgw" } },
});
const problemsOf = (input: object) => {
  try {
    parseConfig(input);
    return [];
  } catch (error) {
    return String((error as Error).message).split("\n");
  }
};

test("a public key that is no key is refused at load, naming auth.jwt.public_key", () => {
  const problems = problemsOf(
    jwt("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----", ["RS256"]),
  );
  expect(
    problems.some((p) => p.startsWith("auth.jwt.public_key: not a public key or certificate in PEM")),
  ).toBe(true);
});

test("an algorithm the key cannot verify is refused, naming it; a key of the right type is taken", () => {
  expect(problemsOf(jwt(P256, ["RS256"]))).toContain(
    "auth.jwt.algorithms[0]: RS256 needs an RSA key of at least 2048 bits; public_key is an ec prime256v1 key",
  );
  expect(problemsOf(jwt(RSA, ["RS256", "ES384"]))).toContain(
    "auth.jwt.algorithms[1]: ES384 needs an EC P-384 key; public_key is an rsa key",
  );
  expect(parseConfig(jwt(RSA, ["RS256", "PS256"])).auth.jwt?.algorithms).toEqual(["RS256", "PS256"]);
  expect(parseConfig(jwt(P256, ["ES256"])).auth.jwt?.algorithms).toEqual(["ES256"]);
});

test("a private key or a PKCS#1 public key, which the verifier cannot import, is refused naming its PEM label", () => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = String(pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  const pkcs1 = String(pair.publicKey.export({ type: "pkcs1", format: "pem" }));
  expect(problemsOf(jwt(privatePem, ["RS256"]))).toContain(
    'auth.jwt.public_key: a PEM "PRIVATE KEY" is not taken: give the public key as "PUBLIC KEY" (SPKI) or a "CERTIFICATE"',
  );
  expect(problemsOf(jwt(pkcs1, ["RS256"]))).toContain(
    'auth.jwt.public_key: a PEM "RSA PUBLIC KEY" is not taken: give the public key as "PUBLIC KEY" (SPKI) or a "CERTIFICATE"',
  );
});

test("an RSA key shorter than 2048 bits, which the verifier refuses at every token, is refused at load", async () => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const short = pemOf(pair);
  expect(problemsOf(jwt(short, ["RS256", "PS256"]))).toEqual([
    "auth.jwt.algorithms[0]: RS256 needs an RSA key of at least 2048 bits; public_key is an rsa key of 1024 bits",
    "auth.jwt.algorithms[1]: PS256 needs an RSA key of at least 2048 bits; public_key is an rsa key of 1024 bits",
  ]);
  // What the check stands for: jose, the verifier, takes no token signed for this key.
  // Signed by hand: jose will not sign with such a key either.
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signed = `${part({ alg: "RS256" })}.${part({})}`;
  const token = `${signed}.${sign("sha256", Buffer.from(signed), pair.privateKey).toString("base64url")}`;
  await expect(jwtVerify(token, await importSPKI(short, "RS256"))).rejects.toThrow(/2048 bits or larger/);
});

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { createLogger, LOG_FORMATS } from "../log/logger.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A refused JWT's access line says which check refused it (docs/OBSERVABILITY.md, `detail`),
// never the token: the checks test/e2e/observability-logs.test.ts leaves out (issuer, algorithm,
// signature), in both formats, through the real gateway in-process.

const JWT = {
  secret: "a-shared-secret-for-the-jwt-line-tests-0123456789",
  issuer: "https://idp.test",
  audience: "mindgw",
};
const dir = mkdtempSync(join(tmpdir(), "mindgw-jwt-lines-"));
const written: string[] = [];
const gateways: Gateway[] = [];

beforeAll(async () => {
  for (const format of LOG_FORMATS)
    gateways.push(
      await createGateway({
        config: parseConfig({
          storage: { path: join(dir, `${format}.db`) },
          auth: { bootstrap_admin: false, jwt: { ...JWT, algorithms: ["HS256"] } },
          providers: [{ name: "demo", type: "mock" }],
          models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
        }),
        logger: createLogger({ format, write: (line) => written.push(line) }),
      }),
    );
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const now = Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>, alg = "HS256", secret = JWT.secret) =>
  new SignJWT({ sub: "bob", iss: JWT.issuer, aud: JWT.audience, exp: now + 300, ...claims })
    .setProtectedHeader({ alg, typ: "JWT" })
    .sign(new TextEncoder().encode(secret));

test("a wrong issuer, a disallowed algorithm and a bad signature: a warn 401 line saying which, never the token", async () => {
  const cases: [string, string][] = [
    [await token({ iss: "https://elsewhere.test" }), "jwt_invalid: ERR_JWT_CLAIM_VALIDATION_FAILED (iss)"],
    [await token({}, "HS384"), "jwt_invalid: ERR_JOSE_ALG_NOT_ALLOWED"],
    [
      await token({}, "HS256", "another-secret-entirely-0123456789-abcdef"),
      "jwt_invalid: ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    ],
  ];
  for (const [i, gateway] of gateways.entries())
    for (const [jwt, detail] of cases) {
      const answer = await gateway.handle(
        new Request("http://localhost/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        }),
      );
      expect(answer.status).toBe(401);
      const id = answer.headers.get("x-request-id") ?? "";
      const line = await waitForValue(`the line of ${id}`, () => written.find((text) => text.includes(id)));
      const format = LOG_FORMATS[i];
      if (format === "json")
        expect(JSON.parse(line)).toMatchObject({ level: "warn", msg: "request", status: 401, detail });
      else expect(line).toContain(` warn request request_id=${id} `);
      expect({ format, line }).toEqual({ format, line: expect.stringContaining(detail) });
      const [, payload = "", signature = ""] = jwt.split(".");
      for (const part of [jwt, payload, signature]) expect(written.join("")).not.toContain(part);
    }
});

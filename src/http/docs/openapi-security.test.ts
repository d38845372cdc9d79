import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";
import { signIn } from "../../testing/ui-session.ts";

// The credentials each operation of the OpenAPI document takes, against the gateway: the admin
// API admits the web UI's session (its cookie, with its CSRF token in `X-CSRF-Token`) beside an
// admin key, so its operations say so; the client API, whose path the cookie is never sent to,
// does not.

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-security-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Scheme {
  type: string;
  in?: string;
  name?: string;
}
interface Document {
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, { security?: Record<string, string[]>[]; parameters?: unknown[] }>>;
  components: { securitySchemes: Record<string, Scheme> };
}

let gateway: Gateway;
let doc: Document;
const session: Record<string, string> = {};

beforeAll(async () => {
  const built = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  );
  gateway = built.gateway;
  Object.assign(session, await signIn(gateway, built.adminKey));
  doc = (await (await gateway.handle(new Request("http://localhost/docs/openapi.json"))).json()) as Document;
});
afterAll(async () => {
  await gateway.stop();
});

/** Whether one of an operation's security requirements is the session: the cookie and the CSRF header together. */
function takesSession(method: string, path: string): boolean {
  const requirements = doc.paths[path]?.[method]?.security ?? doc.security;
  const schemes = doc.components.securitySchemes;
  return requirements.some((requirement) => {
    const used = Object.keys(requirement).map((name) => schemes[name]);
    return (
      used.some((scheme) => scheme?.in === "cookie" && scheme.name === "mindgw_session") &&
      used.some((scheme) => scheme?.in === "header" && scheme.name?.toLowerCase() === "x-csrf-token")
    );
  });
}

test("every admin API read the web UI's session is admitted to documents the session as a credential", async () => {
  const reads = Object.entries(doc.paths)
    .filter(([path, methods]) => path.startsWith("/admin/api/") && !path.includes("{") && methods.get)
    .map(([path]) => path);
  expect(reads.length).toBeGreaterThan(8);
  const admitted: string[] = [];
  for (const path of reads) {
    const answer = await gateway.handle(new Request(`http://localhost${path}`, { headers: session }));
    await answer.body?.cancel();
    if (answer.status !== 401 && answer.status !== 403) admitted.push(path);
  }
  expect(admitted.length).toBeGreaterThan(8);
  expect(admitted.filter((path) => !takesSession("get", path))).toEqual([]);
});

test("a client route documents no session: the cookie is scoped to /admin", () => {
  expect(takesSession("post", "/v1/chat/completions")).toBe(false);
  expect(takesSession("get", "/v1/models")).toBe(false);
});

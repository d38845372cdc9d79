import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// The key routes' query parameters as the OpenAPI document describes them, against the gateway
// that reads them: a value the document calls valid is not refused (400 naming it), and one the
// gateway takes the document calls valid. An opaque cursor's content is judged after.

interface Parameter {
  name: string;
  in: string;
  schema: object;
}
type Doc = { paths: Record<string, Record<string, { parameters?: Parameter[] }>> };

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-key-queries-"));
let gateway: Gateway;
let adminKey = "";
let doc: Doc;

beforeAll(async () => {
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({ storage: { path: join(dir, "keys.db") }, providers: [], models: [] }),
  ));
  doc = (await (await gateway.handle(new Request("http://localhost/docs/openapi.json"))).json()) as Doc;
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

// A query value is text: `5` is an integer as a client sends it.
const ajv = new Ajv2020({ strict: false, coerceTypes: true });
addFormats(ajv);

/** The key operations: the path called (a key of no name stored: 404 unless refused first) and a body. */
const OPERATIONS: [string, string, string, object?][] = [
  ["/admin/api/keys", "get", "/admin/api/keys"],
  ["/admin/api/keys/{id}", "get", "/admin/api/keys/nokey"],
  ["/admin/api/keys/{id}/revoke", "post", "/admin/api/keys/nokey/revoke"],
  ["/admin/api/keys/{id}/rotate", "post", "/admin/api/keys/nokey/rotate", { grace: "1h" }],
  ["/admin/api/keys/{id}/limits", "post", "/admin/api/keys/nokey/limits", { rpm: 5 }],
];
const VALUES = ["", "alice", "a".repeat(513), "true", "false", "yes", "0", "5", "1001", "c".repeat(201)];

test("a key route's query value the document calls valid is one the gateway does not refuse, and the reverse", async () => {
  const calledValidRefused: string[] = [];
  const takenCalledInvalid: string[] = [];
  for (const [path, method, url, body] of OPERATIONS) {
    const parameters = (doc.paths[path]?.[method]?.parameters ?? []).filter((p) => p.in === "query");
    expect([path, parameters.length > 0]).toEqual([path, true]);
    for (const { name, schema } of parameters)
      for (const value of VALUES) {
        const answer = await gateway.handle(
          new Request(`http://localhost${url}?${new URLSearchParams({ [name]: value })}`, {
            method: method.toUpperCase(),
            headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
            ...(body ? { body: JSON.stringify(body) } : {}),
          }),
        );
        const refused =
          answer.status === 400 &&
          ((await answer.json()) as { error: { param?: string } }).error.param === name;
        const documented: boolean = ajv.compile(schema)(value);
        // A cursor is opaque: which of the well-formed ones the gateway made is not the document's to say.
        if (documented && refused && name !== "cursor")
          calledValidRefused.push(`${method} ${path}?${name}=${value.slice(0, 8)}`);
        if (!documented && !refused)
          takenCalledInvalid.push(`${method} ${path}?${name}=${value.slice(0, 8)}`);
      }
  }
  expect(calledValidRefused).toEqual([]);
  expect(takenCalledInvalid).toEqual([]);
});

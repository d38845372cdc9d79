import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// `/admin/api/audit/export` streams every matching row: it reads no page (`limit`, `cursor`), and
// such a parameter is a 400 naming it, as any other it does not read is, never an export of the
// whole log where a caller asked for five rows. The OpenAPI document lists what it does read.

const dir = mkdtempSync(join(tmpdir(), "mindgw-export-query-"));
let gateway: Gateway;
let adminKey = "";

beforeAll(async () => {
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({ storage: { path: join(dir, "export.db") }, providers: [], models: [] }),
  ));
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) =>
  gateway.handle(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${adminKey}` } }),
  );

test("a page's parameters (limit, cursor) on an export are a 400 naming them, as any parameter it does not read", async () => {
  for (const [query, param] of [
    ["limit=5", "limit"],
    ["cursor=abc", "cursor"],
    ["format=csv&limit=1", "limit"],
    ["tennant=acme", "tennant"],
  ]) {
    const answer = await get(`/admin/api/audit/export?${query}`);
    expect([query, answer.status, ((await answer.json()) as { error: { param: string } }).error]).toEqual([
      query,
      400,
      expect.objectContaining({ param, message: `${param}: unknown: nothing of that name is read here` }),
    ]);
  }
  const taken = await get("/admin/api/audit/export?format=csv&order=desc&status=2xx&bodies=false");
  expect(taken.status).toBe(200);
  await taken.body?.cancel();
});

test("the document lists the export's parameters as it reads them: no page, oldest first unless asked", async () => {
  const doc = (await (await get("/docs/openapi.json")).json()) as {
    paths: Record<string, { get: { parameters: { name: string; schema: { default?: unknown } }[] } }>;
  };
  const parameters = doc.paths["/admin/api/audit/export"]?.get.parameters ?? [];
  const names = parameters.map((parameter) => parameter.name);
  expect(names).toEqual(expect.arrayContaining(["format", "from", "to", "key", "model", "tenant", "order"]));
  expect(names.filter((name) => name === "limit" || name === "cursor")).toEqual([]);
  expect(parameters.find((parameter) => parameter.name === "order")?.schema.default).toBe("asc");
  expect(parameters.find((parameter) => parameter.name === "format")?.schema.default).toBe("ndjson");
});

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// Every admin list's paging query, through the real gateway in-process (a real SQLite file).

const dir = mkdtempSync(join(tmpdir(), "mindgw-page-limits-"));
let gateway: Gateway;
let adminKey = "";

beforeAll(async () => {
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "limits.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  ));
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The answer's status and, for a 400, the field it names. */
async function refusal(path: string): Promise<string> {
  const answer = await gateway.handle(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  if (answer.status !== 400) return String(answer.status);
  return `400 ${((await answer.json()) as { error: { param: string } }).error.param}`;
}

test("a page's limit is decimal digits alone on every admin list: 0x10, 1e1 and ' 5' are a 400 naming it", async () => {
  // Each read `Number()`'s way: 0x10 as 16, 1e1 as 10, ' 5' as 5 (core/decimal-int.ts).
  const refused: string[] = [];
  for (const path of ["keys", "audit", "shadow", "actions"])
    for (const limit of ["0x10", "1e1", "%205"]) {
      const said = await refusal(`/admin/api/${path}?limit=${limit}`);
      if (said !== "400 limit") refused.push(`${path}?limit=${limit}: ${said}`);
    }
  expect(refused).toEqual([]);
  expect(await refusal("/admin/api/keys?limit=16")).toBe("200");
});

test("the actions list's ?before= is decimal digits alone too: 0x10, 1e3 and ' 5' are a 400 naming it", async () => {
  // `z.coerce.number()` read 0x10 as 16 and 1e3 as 1000: a page before another action than asked.
  const refused: string[] = [];
  for (const before of ["0x10", "1e3", "%205", "5.0", "9".repeat(400)]) {
    const said = await refusal(`/admin/api/actions?before=${before}`);
    if (said !== "400 before") refused.push(`before=${before}: ${said}`);
  }
  expect(refused).toEqual([]);
  expect(await refusal("/admin/api/actions?before=16")).toBe("200");
});

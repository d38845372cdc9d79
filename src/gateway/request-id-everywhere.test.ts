import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { type BuiltGateway, createGateway } from "./create-gateway.ts";

// SPEC: every response carries `x-request-id`. Asked of every GET route the default gateway
// registers, without a credential: the API's refusals (the web UI's session check among them, an
// audited admin call), the probes, and what is served outside the request pipeline (the docs, the
// web UI's page and assets).

const dir = mkdtempSync(join(tmpdir(), "mindgw-request-id-everywhere-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function gatewayOf(name: string, config: Record<string, unknown> = {}): Promise<BuiltGateway> {
  return createGateway({
    config: parseConfig({
      storage: { path: join(dir, `${name}.db`) },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      ...config,
    }),
    logger: silentLogger,
  });
}

/** What each path answered without an `x-request-id` (its body read, or a stream cancelled). */
async function withoutId(gateway: BuiltGateway, paths: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const path of paths) {
    const response = await gateway.handle(new Request(`http://localhost${path}`));
    await response.body?.cancel();
    if (!response.headers.get("x-request-id")) missing.push(`${response.status} ${path}`);
  }
  return missing;
}

/** Every GET route, a parameter or the rest of a path filled with a name. */
const getPaths = (gateway: BuiltGateway) => [
  ...new Set(
    gateway.app.routes
      .filter((route) => route.method === "GET")
      .map((route) => route.path.replace(/:\w+/g, "x").replace(/\*$/, "x")),
  ),
];

test("every GET route answers with an x-request-id: the docs and the web UI's page, assets and session check too", async () => {
  const gateway = await gatewayOf("default");
  try {
    const paths = getPaths(gateway);
    expect(paths).toEqual(
      expect.arrayContaining(["/docs", "/docs/openapi.json", "/admin", "/admin/assets/x"]),
    );
    const shell = await (await gateway.handle(new Request("http://localhost/admin"))).text();
    const asset = shell.match(/\/admin\/assets\/[\w.-]+/)?.[0];
    expect(asset).toBeDefined();
    expect(await withoutId(gateway, [...paths, asset ?? ""])).toEqual([]);
  } finally {
    await gateway.stop();
  }
});

test("the web UI turned off answers its 404s with an x-request-id", async () => {
  const gateway = await gatewayOf("ui-off", { admin_ui: { enabled: false } });
  try {
    expect(
      await withoutId(gateway, ["/admin", "/admin/keys", "/admin/assets/x", "/admin/auth/session"]),
    ).toEqual([]);
  } finally {
    await gateway.stop();
  }
});

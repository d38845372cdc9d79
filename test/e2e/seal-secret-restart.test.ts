/**
 * A single node (no `cluster.secret`) seals with a secret kept in its storage, made once: what it
 * sealed before a restart opens after it. Before, its key was its process's own, so a restart
 * turned a tenant reader's cursor into a 400 and a sign-in in flight into a new login.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { ADMIN_CLIENT, adminOidc, type OidcIssuer, startOidcIssuer } from "./harness/oidc-issuer.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { waitFor } from "./harness/wait-for.ts";

let issuer: OidcIssuer;
let fakeUrl = "";

/** The gateway's config: the fake's model, a tenant, and single sign-on once its URL is known. */
const config = (gatewayUrl?: string) => ({
  providers: [{ name: "fake", type: "openai", base_url: `${fakeUrl}/v1` }],
  models: [{ name: "m1", routes: [{ provider: "fake", model: "m1" }] }],
  tenants: [{ name: "team-m" }],
  ...(gatewayUrl === undefined
    ? {}
    : {
        admin_ui: { oidc: adminOidc(issuer, gatewayUrl) },
      }),
});

const fx = gatewayFixture({
  fakeRoutes: false,
  config: async (url, { own }) => {
    fakeUrl = url;
    issuer = own(await startOidcIssuer(ADMIN_CLIENT));
    return config();
  },
});

type AuditPage = { records: { requestId: string }[]; nextCursor: string | null };

test("after a restart (SIGTERM, started again on the SQLite file) a tenant reader's cursor pages on and a sign-in started before finishes; the secret is shown nowhere", async () => {
  const before = fx.gw;
  const reader = await createKey(before, { name: "reader", tenant: "team-m" });
  const admin = { url: before.url, adminKey: fx.adminKey };
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${before.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(reader.key),
      body: chatBody("m1"),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    ids.push(res.headers.get("x-request-id") ?? "");
  }
  for (const id of ids) await auditRow(admin, id);
  const query = `/admin/api/audit?key=${reader.id}&limit=1`;
  const first = (await (
    await fetch(`${before.url}${query}`, { headers: bearer(reader.key) })
  ).json()) as AuditPage;
  expect(first.records.map((r) => r.requestId)).toEqual([ids[1] ?? ""]);
  const cursor = first.nextCursor ?? "";
  expect(cursor).not.toBe("");
  // The admin's cursor of the same rows, in the clear: still refused to the reader after the restart.
  const clear = (await (
    await fetch(`${before.url}${query}&tenant=team-m`, { headers: bearer(fx.adminKey) })
  ).json()) as AuditPage;

  // A sign-in started, the provider has approved it, and the browser is on its way back.
  await before.writeConfig(config(before.url));
  await waitFor("single sign-on to be live", async () => {
    const info = (await (await fetch(`${before.url}/admin/auth/session`)).json()) as { oidc: boolean };
    return info.oidc;
  });
  const started = await fetch(`${before.url}/admin/auth/oidc`, { redirect: "manual" });
  expect(started.status).toBe(302);
  const pending = (started.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  expect(pending).toStartWith("mindgw_oidc=");
  const approved = await fetch(started.headers.get("location") ?? "", { redirect: "manual" });
  const callback = approved.headers.get("location") ?? "";
  expect(callback).toStartWith(`${before.url}/admin/auth/callback?`);

  const after = await fx.restart({ signal: "SIGTERM", port: before.port, config: config(before.url) });
  expect(after.proc.pid).not.toBe(before.proc.pid);

  const older = await fetch(`${after.url}${query}&cursor=${cursor}`, { headers: bearer(reader.key) });
  expect(older.status).toBe(200);
  const page = (await older.json()) as AuditPage;
  expect([page.records.map((r) => r.requestId), page.nextCursor]).toEqual([[ids[0] ?? ""], null]);
  const refused = await fetch(`${after.url}${query}&cursor=${clear.nextCursor}`, {
    headers: bearer(reader.key),
  });
  expect([refused.status, await refused.text()]).toEqual([
    400,
    expect.stringContaining("not a page's next cursor"),
  ]);

  const finished = await fetch(callback, { redirect: "manual", headers: { cookie: pending } });
  expect([finished.status, finished.headers.get("location")]).toEqual([302, "/admin/"]);
  const session = finished.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0] ?? "")
    .find((cookie) => cookie.startsWith("mindgw_session=") && cookie !== "mindgw_session=");
  const signedIn = (await (
    await fetch(`${after.url}/admin/auth/session`, { headers: { cookie: session ?? "" } })
  ).json()) as { signedIn: boolean; user?: { name: string } };
  expect(signedIn).toMatchObject({ signedIn: true, user: { name: "ops@example.com" } });
  expect(issuer.refusals).toEqual([]);

  // The secret, as kept: in neither process's output, `mindgw audit`'s or an admin API answer.
  const db = new Database(`${after.dir}/mindgw.db`, { readonly: true });
  const rows = db.query<{ secret: string }, []>("SELECT secret FROM seal_secret").all();
  db.close();
  expect(rows.length).toBe(1);
  const secret = Buffer.from(rows[0]?.secret ?? "", "base64url");
  expect(secret.length).toBe(32);
  const audit = await runMindgw(["audit", "query", "-c", after.configPath, "--json", "--limit", "1000"]);
  expect(audit.code).toBe(0);
  const answers = await Promise.all(
    ["/admin/api/status", "/admin/api/audit?limit=1000", "/admin/api/actions", "/admin/api/routing"].map(
      async (path) => (await fetch(`${after.url}${path}`, { headers: bearer(fx.adminKey) })).text(),
    ),
  );
  const seen = [
    before.stdout.all,
    before.stderr.all,
    after.stdout.all,
    after.stderr.all,
    audit.stdout,
    audit.stderr,
    ...answers,
  ];
  for (const form of ["base64url", "base64", "hex"] as const)
    for (const text of seen) expect(text).not.toContain(secret.toString(form));
}, 120_000);

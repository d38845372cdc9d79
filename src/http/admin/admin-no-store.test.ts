import { expect, test } from "bun:test";
import { startStoredGateway } from "../../testing/stored-gateway.ts";
import { signIn } from "../../testing/ui-session.ts";

// What the admin API answers (keys, the audit with its request bodies, admin actions) is no
// browser cache's to keep: a web UI session's reads would stay on the disk of a shared machine
// after sign-out. Through the real gateway (app.handle, a real SQLite file).

test("the admin API's answers to a web UI session, and to a key, say cache-control: no-store", async () => {
  const started = await startStoredGateway({
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  });
  const { gateway, adminKey } = started;
  try {
    const session = await signIn(gateway, adminKey);
    const created = await gateway.handle(
      new Request("http://localhost/admin/api/keys", {
        method: "POST",
        headers: { ...session, "content-type": "application/json" },
        body: JSON.stringify({ name: "alice", role: "user" }),
      }),
    );
    expect([created.status, created.headers.get("cache-control")]).toEqual([201, "no-store"]);
    const reads = ["keys", "audit", "actions", "status", "workers", "tenants", "shadow"];
    const answers = await Promise.all(
      reads.flatMap((path) =>
        [session, { authorization: `Bearer ${adminKey}` }].map(async (headers) => {
          const response = await gateway.handle(
            new Request(`http://localhost/admin/api/${path}`, { headers }),
          );
          await response.arrayBuffer();
          return `${path} ${response.status} ${response.headers.get("cache-control")}`;
        }),
      ),
    );
    expect(answers).toEqual(reads.flatMap((path) => [`${path} 200 no-store`, `${path} 200 no-store`]));
    // The live event stream too (what the Requests page shows as it comes), left as soon as it answers.
    const events = await gateway.handle(
      new Request("http://localhost/admin/api/events", { headers: session }),
    );
    await events.body?.cancel();
    expect([events.status, events.headers.get("cache-control")]).toEqual([200, "no-store"]);
  } finally {
    await started.stop();
  }
});

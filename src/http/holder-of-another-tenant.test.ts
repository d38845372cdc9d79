import { afterAll, expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { handReloadedSource } from "../testing/hand-reloaded-source.ts";
import { callAs } from "../testing/recording-gateway.ts";
import { storedKey } from "../testing/stored-key.ts";

// A response a provider answered natively is read and deleted where it is held (responses-routes.ts
// `fromHolder`), by the provider's name. A reload that gives that name to another tenant's own
// provider (`providers[].tenant`: its upstream account) must not send the first tenant's reads and
// deletes there, as a name another tenant's worker took since holds nothing either. Through the
// gateway in-process on a real SQLite file; the upstream is a loopback server that tells its two
// accounts apart by their keys.

const tmp = tempDir();
afterAll(() => tmp.cleanup());

test("a stored response whose holder's name a reload gave to another tenant's provider is served from the gateway's copy; that account is never asked", async () => {
  /** The credential of each call the upstream's Responses API got: method, path and key. */
  const asked: string[] = [];
  const upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      asked.push(`${request.method} ${path} ${request.headers.get("authorization")}`);
      if (request.method === "POST") await request.json();
      return Response.json({
        id: "resp_held",
        object: "response",
        created_at: 1,
        status: "completed",
        model: "n",
        output: [
          {
            type: "message",
            id: "msg_held",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: "from the account", annotations: [] }],
          },
        ],
        usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
      });
    },
  });
  const base = `http://127.0.0.1:${upstream.port}/v1`;
  const configOf = (holderTenant?: string) =>
    parseConfig({
      providers: [
        { name: "demo", type: "mock" },
        {
          name: "held",
          type: "openai",
          base_url: base,
          responses_api: true,
          api_key: holderTenant ? "sk-team-b-own" : "sk-platform",
          ...(holderTenant ? { tenant: holderTenant } : {}),
        },
      ],
      models: [
        { name: "m", routes: [{ provider: "demo", model: "m" }] },
        {
          name: "n",
          ...(holderTenant ? { tenant: holderTenant } : {}),
          routes: [{ provider: "held", model: "n" }],
        },
      ],
      tenants: [{ name: "team-b" }, { name: "team-c" }],
    });
  const storage = openSqliteStorage(tmp.file("holder.db"));
  const member = await storedKey(storage.keys, { tenant: "team-c" });
  const { source, reload } = handReloadedSource(configOf());
  const gateway = await createGateway({ configSource: source, storage, logger: silentLogger });
  try {
    const made = await callAs(gateway, member, "POST", "/v1/responses", { model: "n", input: "hi" });
    expect(made.status).toBe(200);
    expect(((await made.json()) as { id: string }).id).toBe("resp_held");
    // The name `held` is team-b's own provider now, on team-b's account.
    await reload(configOf("team-b"));
    asked.length = 0;
    const read = await callAs(gateway, member, "GET", "/v1/responses/resp_held");
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe("resp_held");
    const deleted = await callAs(gateway, member, "DELETE", "/v1/responses/resp_held");
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: "resp_held", object: "response", deleted: true });
    expect(asked).toEqual([]);
  } finally {
    await gateway.stop();
    await storage.close();
    upstream.stop(true);
  }
});

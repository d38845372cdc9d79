import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { callAs, recordingGateway } from "../testing/recording-gateway.ts";

// A key outside every tenant has its stored responses to itself; its rotation hands them on. The
// new key is the same caller's (its settings and its spend carry over), so it reads, continues and
// deletes what the old key stored, and the old key, in its grace window, what the new one stores:
// a client switched to the new key mid-conversation (Codex's previous_response_id, the Vercel AI
// SDK's item references) goes on where it was. Another key still reads none of it. Through the real
// gateway in-process.

const dir = mkdtempSync(join(tmpdir(), "mindgw-rotated-key-responses-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a rotated key's new key reads, chains, references and deletes its stored responses; its old key reads the new one's; another key none", async () => {
  const { gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  );
  const call = async (key: string, method: "GET" | "POST" | "DELETE", path: string, body?: object) => {
    const res = await callAs(gateway, key, method, path, body);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const created = async (key: string, body: object) => {
    const made = await call(key, "POST", "/v1/responses", { model: "m", ...body });
    expect(made.status).toBe(200);
    return made.json as { id: string; output: { id: string }[] };
  };
  try {
    const minted = await call(adminKey, "POST", "/admin/api/keys", { name: "codex" });
    const other = await call(adminKey, "POST", "/admin/api/keys", { name: "someone-else" });
    const oldKey = String(minted.json.key);
    const first = await created(oldKey, { input: "the plan, part one" });

    const rotated = await call(adminKey, "POST", `/admin/api/keys/${minted.json.id}/rotate`, { grace: "1h" });
    expect(rotated.status).toBe(201);
    const newKey = String(rotated.json.key);

    expect((await call(newKey, "GET", `/v1/responses/${first.id}`)).status).toBe(200);
    const items = await call(newKey, "GET", `/v1/responses/${first.id}/input_items`);
    expect(JSON.stringify(items.json)).toContain("the plan, part one");
    const second = await created(newKey, { input: "part two", previous_response_id: first.id });
    const message = first.output[0]?.id ?? "";
    await created(newKey, { input: [{ type: "item_reference", id: message }] });
    // The old key, in its grace window, reads what the new one stored.
    expect((await call(oldKey, "GET", `/v1/responses/${second.id}`)).status).toBe(200);

    for (const id of [first.id, second.id]) {
      expect((await call(String(other.json.key), "GET", `/v1/responses/${id}`)).status).toBe(404);
      expect((await call(String(other.json.key), "DELETE", `/v1/responses/${id}`)).status).toBe(404);
    }
    expect((await call(newKey, "DELETE", `/v1/responses/${first.id}`)).status).toBe(200);
    expect((await call(oldKey, "GET", `/v1/responses/${first.id}`)).status).toBe(404);
  } finally {
    await gateway.stop();
  }
});

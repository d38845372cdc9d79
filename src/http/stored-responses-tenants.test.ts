import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import type { Role } from "../storage/key-record.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { callAs } from "../testing/recording-gateway.ts";
import { storedKey } from "../testing/stored-key.ts";

// The Responses store's every path by id, through the real gateway in-process, across the lines
// SPEC draws: a tenant's members share its stored responses; another tenant's member, a key outside
// every tenant and an admin of every tenant get an id they do not hold answered as an unknown one,
// and a DELETE of it deletes nothing. Keys outside every tenant each have their own, closed to a
// tenant's member alike.

const dir = mkdtempSync(join(tmpdir(), "mindgw-stored-responses-tenants-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tenantsGateway() {
  const storage = openSqliteStorage(join(dir, "gw.db"));
  const stored = (tenant: string, role: Role = "user") => storedKey(storage.keys, { tenant, role });
  const keys = {
    a1: await stored("team-a"),
    a2: await stored("team-a"),
    b: await stored("team-b"),
    outside: await stored("default"),
    platform: await stored("default", "admin"),
  };
  const gateway = await createGateway({
    config: parseConfig({
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      tenants: [{ name: "team-a" }, { name: "team-b" }],
    }),
    storage,
    logger: silentLogger,
  });
  const call = async (key: string, method: "GET" | "POST" | "DELETE", path: string, body?: object) => {
    const res = await callAs(gateway, key, method, path, body);
    return { status: res.status, text: await res.text() };
  };
  const stop = async () => {
    await gateway.stop();
    await storage.close();
  };
  return { keys, call, stop };
}

type Call = Awaited<ReturnType<typeof tenantsGateway>>["call"];

/** Every way a caller names a stored response by id, and the status each gives for one it does not hold. */
async function triesOn(call: Call, key: string, id: string) {
  const chained = { model: "m", input: "go on", previous_response_id: id };
  return [
    await call(key, "GET", `/v1/responses/${id}`),
    await call(key, "GET", `/v1/responses/${id}/input_items`),
    await call(key, "POST", "/v1/responses", chained),
    await call(key, "POST", "/v1/responses/compact", chained),
    await call(key, "DELETE", `/v1/responses/${id}`),
  ];
}

const UNKNOWN = [404, 404, 400, 400, 404];

async function created(call: Call, key: string, input: string): Promise<string> {
  const made = await call(key, "POST", "/v1/responses", { model: "m", input });
  expect(made.status).toBe(200);
  return (JSON.parse(made.text) as { id: string }).id;
}

test("a tenant's stored response, by id: another tenant, a key outside every tenant and an admin of every tenant read, list, chain, compact and delete nothing; its members still do", async () => {
  const { keys, call, stop } = await tenantsGateway();
  try {
    const id = await created(call, keys.a1, "team-a's secret plan");
    for (const outsider of [keys.b, keys.outside, keys.platform]) {
      const answers = await triesOn(call, outsider, id);
      expect(answers.map((answer) => answer.status)).toEqual(UNKNOWN);
      for (const answer of answers) expect(answer.text).not.toContain("secret plan");
      const chained = JSON.parse(answers[2]?.text ?? "{}") as { error: { code: string } };
      expect(chained.error.code).toBe("previous_response_not_found");
    }
    // The foreign deletes deleted nothing: another member of team-a reads it, its input whole.
    expect((await call(keys.a2, "GET", `/v1/responses/${id}`)).status).toBe(200);
    expect((await call(keys.a2, "GET", `/v1/responses/${id}/input_items`)).text).toContain("secret plan");
    const next = await call(keys.a2, "POST", "/v1/responses", {
      model: "m",
      input: "go on",
      previous_response_id: id,
    });
    expect(next.status).toBe(200);
  } finally {
    await stop();
  }
});

test("a key outside every tenant's stored response, by id: a tenant's member reads, chains and deletes nothing; the key still does", async () => {
  const { keys, call, stop } = await tenantsGateway();
  try {
    const id = await created(call, keys.outside, "an app's own notes");
    for (const member of [keys.a1, keys.b]) {
      const answers = await triesOn(call, member, id);
      expect(answers.map((answer) => answer.status)).toEqual(UNKNOWN);
      for (const answer of answers) expect(answer.text).not.toContain("own notes");
    }
    expect((await call(keys.outside, "GET", `/v1/responses/${id}`)).status).toBe(200);
  } finally {
    await stop();
  }
});

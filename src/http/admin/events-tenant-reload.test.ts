import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import type { Role } from "../../storage/key-record.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { handReloadedSource } from "../../testing/hand-reloaded-source.ts";
import { callAs } from "../../testing/recording-gateway.ts";
import { storedKey } from "../../testing/stored-key.ts";
import { tenantsConfig } from "../../testing/tenants-config.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// A live event stream (`mindgw tail`, the web UI live) opened with a key is held to what that key
// may read under the config in force, through the real gateway in-process: a reload that refuses
// the key (its tenant removed from `tenants:`) or that changes what it reads ends the stream, as a
// revoke does, rather than leaving it open to read on what its key no longer may.

const dir = mkdtempSync(join(tmpdir(), "mindgw-events-tenant-reload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function reloadableGateway(file: string) {
  const storage = openSqliteStorage(join(dir, file));
  const stored = (tenant: string, role: Role) => storedKey(storage.keys, { tenant, role });
  const keys = {
    aAdmin: await stored("team-a", "admin"),
    aMember: await stored("team-a", "user"),
    bAdmin: await stored("team-b", "admin"),
    platform: await stored("default", "admin"),
  };
  const { source, reload } = handReloadedSource(tenantsConfig(["team-a", "team-b"]));
  const gateway = await createGateway({
    configSource: source,
    storage,
    logger: silentLogger,
  });
  /** An open event stream of `key`, its ": connected" read; `ended` settles once it is done. */
  const events = async (key: string) => {
    const response = await gateway.handle(
      new Request("http://localhost/admin/api/events", { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    let done = false;
    let text = "";
    const decoder = new TextDecoder();
    const drained = (async () => {
      for (let read = await reader.read(); !read.done; read = await reader.read())
        text += decoder.decode(read.value, { stream: true });
      done = true;
    })().catch(() => {
      done = true;
    });
    return { drained, isDone: () => done, text: () => text };
  };
  const get = (path: string, key: string) =>
    gateway.handle(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } }));
  const chat = (key: string) =>
    callAs(gateway, key, "POST", "/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
  const stop = async () => {
    await gateway.stop();
    await storage.close();
  };
  return { keys, reload, events, get, chat, stop };
}

test("a reload that removes a tenant ends the event streams its keys hold open (admin and member alike); another tenant's and the platform's stay open", async () => {
  const { keys, reload, events, get, chat, stop } = await reloadableGateway("removed.db");
  const streams = {
    aAdmin: await events(keys.aAdmin),
    aMember: await events(keys.aMember),
    bAdmin: await events(keys.bAdmin),
    platform: await events(keys.platform),
  };
  try {
    await reload(tenantsConfig(["team-b"]));
    await waitForValue("team-a's streams ended", () => streams.aAdmin.isDone() && streams.aMember.isDone());
    // Their keys are refused from this version on, a stream as anything else.
    expect((await get("/admin/api/events", keys.aAdmin)).status).toBe(401);
    // The others read on: team-b's request reaches team-b's admin and the platform's.
    expect((await chat(keys.bAdmin)).status).toBe(200);
    await waitForValue("team-b's request on the streams left open", () =>
      [streams.bAdmin, streams.platform].every((stream) => stream.text().includes("request.finished")),
    );
    expect([streams.bAdmin.isDone(), streams.platform.isDone()]).toEqual([false, false]);
  } finally {
    await stop();
    await Promise.all(Object.values(streams).map((stream) => stream.drained));
  }
});

test("a reload that empties tenants: ends a member's stream (a member of no configured tenant reads nothing); an admin's, still held to its tenant's name, stays open", async () => {
  const { keys, reload, events, get, chat, stop } = await reloadableGateway("emptied.db");
  const streams = { aAdmin: await events(keys.aAdmin), aMember: await events(keys.aMember) };
  try {
    await reload(tenantsConfig([]));
    await waitForValue("the member's stream ended", () => streams.aMember.isDone());
    // As its reconnect is refused: a member of no configured tenant reads no read view.
    expect((await get("/admin/api/events", keys.aMember)).status).toBe(403);
    // The admin of the free label "team-a" reads on, its own label's requests.
    expect((await chat(keys.aMember)).status).toBe(200);
    await waitForValue("the label's request on its admin's stream", () =>
      streams.aAdmin.text().includes("request.finished"),
    );
    expect(streams.aAdmin.isDone()).toBe(false);
  } finally {
    await stop();
    await Promise.all(Object.values(streams).map((stream) => stream.drained));
  }
});

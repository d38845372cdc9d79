import { describe, expect, test } from "bun:test";
import { createMemoryAdminActionStore } from "../../storage/memory/memory-admin-action-store.ts";
import { tenantActions } from "./tenant-actions.ts";

const TENANT_OF: Record<string, string> = { key_a: "team-a", key_a2: "team-a", key_b: "team-b" };
const keyTenant = async (id: string) => TENANT_OF[id];

async function store(rows: { target: string | null; actorKeyId: string | null }[]) {
  const actions = createMemoryAdminActionStore();
  for (const [i, row] of rows.entries()) {
    await actions.append({
      at: i,
      actor: "someone",
      via: "key",
      action: row.target ? "key.create" : "session.sign_in",
      detail: null,
      clientIp: null,
      requestId: null,
      ...row,
    });
  }
  return actions;
}

describe("tenantActions", () => {
  test("actions on the tenant's keys, and sign-ins with them; none of another tenant's or of no key", async () => {
    const actions = await store([
      { target: "key_a", actorKeyId: null }, // 1: on team-a's key, by single sign-on
      { target: "key_b", actorKeyId: "key_a" }, // 2: on team-b's key
      { target: null, actorKeyId: "key_a2" }, // 3: a sign-in with team-a's key
      { target: null, actorKeyId: null }, // 4: a single sign-on sign-in
      { target: null, actorKeyId: "key_b" }, // 5: a sign-in with team-b's key
    ]);
    const page = await tenantActions(actions, { limit: 50 }, "team-a", keyTenant);
    expect(page.actions.map((a) => a.id)).toEqual([3, 1]);
    expect(page.nextBefore).toBeNull();
  });

  test("pages over the tenant's rows: full pages name where the next starts", async () => {
    const rows = Array.from({ length: 1_200 }, (_, i) => ({
      target: i % 3 === 0 ? "key_a" : "key_b",
      actorKeyId: null,
    }));
    const actions = await store(rows);
    const seen: number[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await tenantActions(
        actions,
        { ...(before ? { before } : {}), limit: 150 },
        "team-a",
        keyTenant,
      );
      seen.push(...page.actions.map((a) => a.id));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(seen).toEqual(Array.from({ length: 400 }, (_, i) => 1_198 - 3 * i));
  });
});

import { expect, test } from "bun:test";
import { createMemoryResponseStore } from "./memory/memory-response-store.ts";
import { startResponseRetention } from "./response-retention.ts";

test("responses older than the retention are pruned on schedule; newer ones stay", async () => {
  const store = createMemoryResponseStore();
  const record = (id: string, createdAt: number) => ({ tenant: "t", id, response: {}, items: [], createdAt });
  const now = Date.now();
  await store.save(record("old", now - 10_000));
  await store.save(record("new", now));
  const stop = startResponseRetention(store, 1000, (error) => {
    throw error;
  });
  try {
    const deadline = Date.now() + 5000;
    while ((await store.get("t", "old")) !== null && Date.now() < deadline) await Bun.sleep(50);
    expect(await store.get("t", "old")).toBeNull();
    expect(await store.get("t", "new")).not.toBeNull();
  } finally {
    stop();
  }
});

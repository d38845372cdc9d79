import { describe, expect, test } from "bun:test";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { worker } from "../tui/testing/fixtures.ts";
import { eventVisibleTo } from "./read-scope.ts";

describe("the events a tenant-scoped reader sees", () => {
  test("a worker's models changing is told to the admins of the tenants it serves, as its connection is", () => {
    const changed = (tenant: string): GatewayEvent => ({
      type: "worker.changed",
      at: 1,
      worker: worker({ tenant, models: ["llama"] }),
    });
    expect(eventVisibleTo("team-a", changed("team-a"), true)).toBe(true);
    // The platform's workers serve every tenant; another tenant's serve none of team-a's callers.
    expect(eventVisibleTo("team-a", changed("default"), true)).toBe(true);
    expect(eventVisibleTo("team-a", changed("team-b"), true)).toBe(false);
    // A member reads no workers.
    expect(eventVisibleTo("team-a", changed("team-a"), false)).toBe(false);
    expect(eventVisibleTo(null, changed("team-b"), false)).toBe(true);
  });
});

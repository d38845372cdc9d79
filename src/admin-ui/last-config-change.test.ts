import { expect, test } from "bun:test";
import { lastConfigChange } from "./last-config-change.ts";

test("a rejected edit undone while restart-only edits wait: said undone, the waiting fields left to 'Not applied'", () => {
  // It listed them here too, beside the card's own "Not applied" line.
  const undone = { type: "config.restored", at: 0, version: 3, restartRequired: ["log", "storage"] } as const;
  expect(lastConfigChange({ ...undone, restartRequired: [...undone.restartRequired] }, "10:00:00")).toBe(
    "restored at 10:00:00: rejected edit undone, v3 serves on",
  );
});

test("an edit undone with nothing waiting says nothing is pending; the other changes say what they did", () => {
  expect(
    lastConfigChange({ type: "config.restored", at: 0, version: 3, restartRequired: [] }, "10:00:00"),
  ).toBe("restored at 10:00:00: v3 serves on, nothing pending");
  expect(
    lastConfigChange({ type: "config.reloaded", at: 0, version: 4, restartRequired: [] }, "10:00:00"),
  ).toBe("reloaded to v4 at 10:00:00");
  expect(
    lastConfigChange(
      { type: "config.restart_required", at: 0, version: 4, restartRequired: ["log"] },
      "10:00:00",
    ),
  ).toBe("not applied at 10:00:00: restart required");
  expect(
    lastConfigChange({ type: "config.rejected", at: 0, error: "bogus: unknown field" }, "10:00:00"),
  ).toBe("rejected at 10:00:00");
});

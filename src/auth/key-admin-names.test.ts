import { describe, expect, test } from "bun:test";
import { failure, keyAdminFixture } from "./key-admin-fixture.ts";

// What a key's name, tenant and model globs may hold: text an operator reads in the web UI, the
// logs, `mindgw tail`, `mindgw keys list` and CSV exports, so never a control character (C0, DEL,
// C1; NUL, ESC, CR, LF, tab included), which a terminal acts on or a log line breaks at. Refused
// (400 naming the field) as given, before the edges are trimmed, on create and on a change alike.
const { setup } = keyAdminFixture();

const CONTROLS = ["\u0000", "\u0007", "\t", "\n", "\r", "\u001b", "\u007f", "\u0085", "\u009b"];
const WORDS = "may not hold a control character (U+0000–U+001F, U+007F–U+009F)";

describe("key names", () => {
  test("a name, tenant or model glob holding a control character is a 400 naming its field; nothing is written", async () => {
    const { storage, admin } = setup();
    for (const control of CONTROLS) {
      const cases: Array<[object, string]> = [
        [{ name: `a${control}b` }, "name"],
        [{ name: `${control}alice` }, "name"],
        [{ name: "alice", tenant: `acme${control}` }, "tenant"],
        [{ name: "alice", models: `gpt-*,llama${control}` }, "models"],
        [{ name: "alice", models: ["gpt-*", `x${control}`] }, "models.1"],
      ];
      for (const [input, param] of cases) {
        const error = await failure(admin.create("local-operator", input));
        expect([error.status, error.param, error.message]).toEqual([400, param, `${param}: ${WORDS}`]);
      }
    }
    expect(await storage.keys.count()).toBe(0);
    await storage.close();
  });

  test("a change of models holding a control character is a 400 naming models, the key left as it was", async () => {
    const { storage, admin } = setup();
    const key = await admin.create("local-operator", { name: "svc", models: ["gpt-*"] });
    const error = await failure(admin.setLimits("local-operator", key.id, { models: ["gpt\u001b[2J"] }));
    expect([error.status, error.param, error.message]).toEqual([400, "models.0", `models.0: ${WORDS}`]);
    expect((await admin.show("local-operator", key.id)).models).toEqual(["gpt-*"]);
    await storage.close();
  });

  test("spaces at the edges are still trimmed, and other text (accents, emoji, right-to-left) is kept", async () => {
    const { storage, admin } = setup();
    const issued = await admin.create("local-operator", { name: "  Zoë 🚀 שלום ", tenant: " acme " });
    expect([issued.name, issued.tenant]).toEqual(["Zoë 🚀 שלום", "acme"]);
    await storage.close();
  });
});

import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(60_000);

// A key named `.` or `..` cannot be named in a URL path: every HTTP client reads
// /admin/api/keys/. as /admin/api/keys/ (WHATWG URL dot segments, %2E too). Through --gateway,
// `keys show .` printed the key list as one key ("keys [object Object],…", exit 0), and update,
// rotate and revoke were refused as no route. So such a name is refused when a key is made, as one
// spelt like an id is, and a key named so before this rule is refused by name through --gateway
// (its id reaches it), while -c still finds it by name.

const fx = gatewayFixture({ models: ["m1"] });
const remote = (...args: string[]) =>
  runMindgw(["keys", ...args, "--gateway", fx.gw.url, "--admin-key", fx.adminKey]);
const local = (...args: string[]) => runMindgw(["keys", ...args, "-c", fx.gw.configPath]);

describe("keys named . or ..", () => {
  test("create --name . / .. is refused, exit 2 naming --name, locally and through the gateway", async () => {
    for (const name of [".", "..", " .. "])
      for (const out of [await remote("create", "--name", name), await local("create", "--name", name)]) {
        expect({ name, code: out.code, stdout: out.stdout }).toEqual({ name, code: 2, stdout: "" });
        expect(out.stderr).toContain("--name: may not be . or ..");
      }
  });

  test("a key named . before this rule: by name through --gateway a usage error saying to use its id; by id and with -c it is found", async () => {
    const made = JSON.parse((await remote("create", "--name", "dot-later", "--json")).stdout) as {
      id: string;
    };
    const db = new Database(join(fx.dir, "mindgw.db"));
    try {
      db.query("UPDATE api_keys SET name = '.' WHERE id = ?").run(made.id);
    } finally {
      db.close();
    }
    for (const args of [
      ["show", "."],
      ["show", ".."],
      ["update", ".", "--rpm", "5"],
      ["rotate", "."],
      ["revoke", "."],
    ]) {
      const out = await remote(...args);
      expect({ args, code: out.code, stdout: out.stdout }).toEqual({ args, code: 2, stdout: "" });
      expect(out.stderr).toContain("give its id");
    }
    const byId = await remote("show", made.id, "--json");
    expect({ code: byId.code, name: (JSON.parse(byId.stdout) as { name: string }).name }).toEqual({
      code: 0,
      name: ".",
    });
    const byName = await local("show", ".", "--json");
    expect({ code: byName.code, id: (JSON.parse(byName.stdout) as { id: string }).id }).toEqual({
      code: 0,
      id: made.id,
    });
  });
});

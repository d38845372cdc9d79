import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

/** A line of a stack trace (`    at fn (file.ts:12:3)`, `    at file.js:1:2`), not a message that says "at". */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$|\.ts:\d+/m;

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(30_000);

// `mindgw keys` against the local store (-c) and a running gateway (--gateway / env), and how
// fast the running gateway sees each change.

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

interface Issued {
  id: string;
  name: string;
  role: string;
  key: string;
  previous?: { id: string; status: string };
}

let fake: FakeUpstream;
let gw: GatewayProcess;
let adminKey: string;
const dir = tempDir();
const config = () => fakeRoutesConfig(fake.url, ["m1", "m2"]);

const local = (...args: string[]) => runMindgw(["keys", ...args, "-c", gw.configPath]);
const remote = (...args: string[]) =>
  runMindgw(["keys", ...args, "--gateway", gw.url, "--admin-key", adminKey]);
const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

async function chatStatus(key: string, model = "m1"): Promise<number> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(key),
    body: chatBody(model),
  });
  await res.arrayBuffer();
  return res.status;
}

const fx = gatewayFixture({
  dir: dir.path,
  fakeRoutes: false,
  config: (_fakeUrl, ctx) => {
    fake = ctx.fake;
    return config();
  },
});

beforeAll(async () => {
  const first = fx.gw;
  try {
    expect(first.adminKey).toMatch(/^mgw_[A-Za-z0-9]{43}$/);
    adminKey = first.adminKey ?? "";
    // Shown exactly once on the first start.
    expect(first.stdout.all.split(adminKey).length - 1).toBe(1);
  } finally {
    await first.stop();
  }
  gw = await fx.restart();
}, 30_000);

describe("bootstrap admin key", () => {
  test("is not printed on a second start with the same store, and still works", async () => {
    expect(gw.adminKey).toBeNull();
    expect(gw.stdout.all).not.toContain("mgw_");
    expect(await chatStatus(adminKey)).toBe(200);
  });
});

describe("local CLI (-c config)", () => {
  test("create --json prints id, name, role, key; the key becomes usable on the running gateway", async () => {
    const out = await local("create", "--name", "alice", "--models", "m1", "--json");
    expect(out.code).toBe(0);
    const issued = json<Issued>(out.stdout);
    expect(issued).toMatchObject({ name: "alice", role: "user" });
    expect(issued.id).toBeString();
    expect(issued.key).toMatch(/^mgw_[A-Za-z0-9]{43}$/);
    await waitFor("the local key to work", async () => (await chatStatus(issued.key)) === 200, 15_000);
    expect(await chatStatus(issued.key, "m2")).toBe(404);
  });

  test("list and show, human and --json, never print the plain key or its hash", async () => {
    const issued = json<Issued>((await local("create", "--name", "bob", "--json")).stdout);
    const outputs = await Promise.all([
      local("list"),
      local("list", "--json"),
      local("list", "--all", "--json"),
      local("show", issued.id),
      local("show", issued.id, "--json"),
      local("show", "bob", "--json"),
    ]);
    for (const out of outputs) {
      expect(out.code).toBe(0);
      expect(out.stdout).not.toContain(issued.key);
      expect(out.stdout).not.toContain(sha256(issued.key));
      expect(out.stdout).not.toContain(adminKey);
      expect(out.stdout).not.toContain(sha256(adminKey));
    }
    const listed = json<{ keys: { id: string; key_preview: string }[] }>(outputs[1]?.stdout ?? "");
    const bob = listed.keys.find((k) => k.id === issued.id);
    expect(bob?.key_preview).toBe(`${issued.key.slice(0, 8)}…${issued.key.slice(-4)}`);
    expect(json<{ id: string; name: string }>(outputs[4]?.stdout ?? "")).toMatchObject({
      id: issued.id,
      name: "bob",
    });
    expect(outputs[3]?.stdout).toContain(issued.id);
  });

  test("list's columns line up on a terminal whatever the names' script: a CJK name is as wide as it is shown, not as its length", async () => {
    // Each of these characters takes two terminal columns; padded by their count, the name's row
    // pushed every later column six places right of the title's.
    const wide = "日本語チーム";
    expect((await local("create", "--name", wide)).code).toBe(0);
    const out = await local("list");
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split("\n");
    const title = lines[0] ?? "";
    const row = lines.find((line) => line.includes(wide)) ?? "";
    /** Where `cell` starts on `line`, in terminal columns. */
    const column = (line: string, cell: string) => Bun.stringWidth(line.slice(0, line.indexOf(cell)));
    expect(column(row, " user ") + 1).toBe(column(title, "ROLE"));
    expect(column(row, "default")).toBe(column(title, "TENANT"));
  });

  test("revoke locally: the gateway refuses the key within its refresh bound", async () => {
    const issued = json<Issued>((await local("create", "--name", "carol", "--json")).stdout);
    await waitFor("carol's key to work", async () => (await chatStatus(issued.key)) === 200, 15_000);
    const out = await local("revoke", issued.id, "--json");
    expect(out.code).toBe(0);
    expect(json<{ status: string }>(out.stdout).status).toBe("revoked");
    await waitFor("carol's key to be refused", async () => (await chatStatus(issued.key)) === 401, 15_000);
    // What --help promises is what happens: at once through a gateway, not with -c.
    for (const command of ["revoke", "rotate"]) {
      const help = (await runMindgw(["keys", command, "--help"])).stdout;
      expect(help).toContain("-c FILE        the store is changed directly");
      expect(help).toContain("refresh (2 s)");
    }
    expect((await runMindgw(["keys", "revoke", "--help"])).stdout).not.toContain("revoke a key at once");
  });

  test("rotate locally with --grace 2s: both keys work, then the old one stops", async () => {
    const old = json<Issued>((await local("create", "--name", "dave", "--json")).stdout);
    await waitFor("dave's key to work", async () => (await chatStatus(old.key)) === 200, 15_000);
    const out = await local("rotate", old.id, "--grace", "2s", "--json");
    expect(out.code).toBe(0);
    const rotated = json<Issued>(out.stdout);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.previous?.id).toBe(old.id);
    await waitFor("the new key to work", async () => (await chatStatus(rotated.key)) === 200, 15_000);
    await waitFor(
      "the old key to stop after the grace",
      async () => (await chatStatus(old.key)) === 401,
      15_000,
    );
    expect(await chatStatus(rotated.key)).toBe(200);
  });
});

describe("remote CLI (--gateway --admin-key, or MINDGW_GATEWAY / MINDGW_ADMIN_KEY)", () => {
  test("create, list, show with flags and with env", async () => {
    const created = await remote("create", "--name", "erin", "--role", "user", "--rpm", "100", "--json");
    expect(created.code).toBe(0);
    const issued = json<Issued>(created.stdout);
    expect(issued).toMatchObject({ name: "erin", role: "user" });
    expect(issued.key).toMatch(/^mgw_/);
    // Made through the gateway: usable at once.
    expect(await chatStatus(issued.key)).toBe(200);

    const env = { MINDGW_GATEWAY: gw.url, MINDGW_ADMIN_KEY: adminKey };
    const viaEnv = await runMindgw(["keys", "create", "--name", "frank", "--json"], { env });
    expect(viaEnv.code).toBe(0);
    expect(json<Issued>(viaEnv.stdout).name).toBe("frank");

    const outputs = await Promise.all([
      remote("list", "--json"),
      remote("list"),
      remote("show", issued.id, "--json"),
      remote("show", issued.id),
      runMindgw(["keys", "list", "--json"], { env }),
      runMindgw(["keys", "show", "erin", "--json"], { env }),
    ]);
    for (const out of outputs) {
      expect(out.code).toBe(0);
      expect(out.stdout).not.toContain(issued.key);
      expect(out.stdout).not.toContain(sha256(issued.key));
      expect(out.stdout).not.toContain(adminKey);
    }
    const names = json<{ keys: { name: string }[] }>(outputs[0]?.stdout ?? "").keys.map((k) => k.name);
    expect(names).toEqual(expect.arrayContaining(["erin", "frank", "alice"]));
    expect(json<{ id: string; rpm: number }>(outputs[2]?.stdout ?? "")).toMatchObject({
      id: issued.id,
      rpm: 100,
    });
    expect(json<{ id: string }>(outputs[5]?.stdout ?? "").id).toBe(issued.id);
  });

  test("use is recorded: show reports last_used_at after a request, never the key", async () => {
    const issued = json<Issued>((await remote("create", "--name", "used", "--json")).stdout);
    const before = json<{ last_used_at: string | null }>((await local("show", issued.id, "--json")).stdout);
    expect(before.last_used_at).toBeNull();
    expect(await chatStatus(issued.key)).toBe(200);
    const after = await waitFor(
      "last_used_at to be written",
      async () => {
        const out = await local("show", issued.id, "--json");
        return json<{ last_used_at: string | null }>(out.stdout).last_used_at ? out.stdout : undefined;
      },
      15_000,
      200,
    );
    expect(after).not.toContain(issued.key);
  });

  test("revoke through the gateway: the very next request is 401", async () => {
    const issued = json<Issued>((await remote("create", "--name", "grace", "--json")).stdout);
    expect(await chatStatus(issued.key)).toBe(200);
    const out = await remote("revoke", issued.id, "--json");
    expect(out.code).toBe(0);
    expect(json<{ status: string }>(out.stdout).status).toBe("revoked");
    expect(await chatStatus(issued.key)).toBe(401);
  });

  test("update through the gateway: the key is held to its new limits from its very next request", async () => {
    const issued = json<Issued>((await remote("create", "--name", "kate", "--json")).stdout);
    expect(await chatStatus(issued.key, "m2")).toBe(200);
    const out = await remote("update", "kate", "--models", "m1", "--rpm", "1", "--tpm", "100000", "--json");
    expect(out.code).toBe(0);
    expect(json<object>(out.stdout)).toMatchObject({ id: issued.id, models: ["m1"], rpm: 1, tpm: 100000 });
    expect(await chatStatus(issued.key, "m2")).toBe(404);
    expect(await chatStatus(issued.key)).toBe(200);
    expect(await chatStatus(issued.key)).toBe(429);
    // "none" lifts a limit; what is not named stays.
    const lifted = await remote("update", issued.id, "--rpm", "none", "--json");
    expect(json<object>(lifted.stdout)).toMatchObject({ models: ["m1"], rpm: null, tpm: 100000 });
    expect(await chatStatus(issued.key)).toBe(200);
    // --expires-in none: never expires, as --expires-at none says (the API's expires_at null).
    await remote("update", issued.id, "--expires-in", "1d");
    const forever = await remote("update", issued.id, "--expires-in", "none", "--json");
    expect([forever.code, json<{ expires_at: unknown }>(forever.stdout).expires_at]).toEqual([0, null]);
    // --models none would leave the key nothing: refused in the option's words.
    const noModels = await remote("update", issued.id, "--models", "none");
    expect([noModels.code, noModels.stderr]).toEqual([
      2,
      expect.stringContaining('give "*" for every model'),
    ]);
    // Locally, on the store file: the same change, and the same refusals.
    const local2 = await local("update", "kate", "--budget", "5", "--json");
    expect(json<object>(local2.stdout)).toMatchObject({ tpm: 100000, budget_usd: 5 });
    for (const args of [
      ["update", "kate"],
      ["update", "kate", "--rpm", "0"],
      ["update", "nobody", "--rpm", "1"],
      ["update", "kate", "--models", "none"],
    ]) {
      const refused = await local(...args);
      expect({ args, code: refused.code }).toEqual({ args, code: 2 });
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  test("rotate and revoke through the env-configured gateway", async () => {
    const issued = json<Issued>((await remote("create", "--name", "heidi", "--json")).stdout);
    expect(await chatStatus(issued.key)).toBe(200);
    const env = { MINDGW_GATEWAY: gw.url, MINDGW_ADMIN_KEY: adminKey };
    const rotated = await runMindgw(["keys", "rotate", "heidi", "--grace", "1m", "--json"], { env });
    expect(rotated.code).toBe(0);
    const fresh = json<Issued>(rotated.stdout);
    expect(fresh.previous?.id).toBe(issued.id);
    expect(await chatStatus(fresh.key)).toBe(200);
    expect(await chatStatus(issued.key)).toBe(200);
    const out = await runMindgw(["keys", "revoke", fresh.id, "--json"], { env });
    expect(out.code).toBe(0);
    expect(await chatStatus(fresh.key)).toBe(401);
  });

  test("revoke by name in a rotation's grace window: both keys refused at once, each listed, locally and remotely", async () => {
    for (const [run, name] of [
      [remote, "nina"],
      [local, "olga"],
    ] as const) {
      const old = json<Issued>((await run("create", "--name", name, "--json")).stdout);
      const fresh = json<Issued>((await run("rotate", name, "--grace", "1h", "--json")).stdout);
      await waitFor(`${name}'s new key to work`, async () => (await chatStatus(fresh.key)) === 200, 15_000);
      expect(await chatStatus(old.key)).toBe(200);
      const out = await run("revoke", name);
      expect(out.code).toBe(0);
      expect(out.stdout).toBe(`revoked ${name} (${fresh.id})\nrevoked ${name} (${old.id})\n`);
      const gone = async () => (await chatStatus(fresh.key)) === 401 && (await chatStatus(old.key)) === 401;
      await waitFor(`both of ${name}'s keys to be refused`, gone, 15_000);
    }
    // --json: the newest key revoked, with every key revoked in `revoked`.
    const old = json<Issued>((await remote("create", "--name", "pia", "--json")).stdout);
    const fresh = json<Issued>((await remote("rotate", "pia", "--grace", "1h", "--json")).stdout);
    const answer = json<{ id: string; revoked: { id: string; status: string }[] }>(
      (await remote("revoke", "pia", "--json")).stdout,
    );
    expect(answer.id).toBe(fresh.id);
    expect(answer.revoked.map((k) => [k.id, k.status])).toEqual([
      [fresh.id, "revoked"],
      [old.id, "revoked"],
    ]);
    expect((await runMindgw(["keys", "revoke", "--help"])).stdout).toContain("every active key of that name");
  });

  test("rotate through the gateway with --grace 2s: old key works during the grace, not after", async () => {
    const old = json<Issued>((await remote("create", "--name", "ivan", "--json")).stdout);
    expect(await chatStatus(old.key)).toBe(200);
    const out = await remote("rotate", old.id, "--grace", "2s", "--json");
    expect(out.code).toBe(0);
    const rotated = json<Issued>(out.stdout);
    expect(rotated).toMatchObject({ name: "ivan", role: "user" });
    expect(rotated.previous?.id).toBe(old.id);
    expect(await chatStatus(rotated.key)).toBe(200);
    // Immediately after the rotate, well inside the 2 s grace.
    expect(await chatStatus(old.key)).toBe(200);
    await waitFor(
      "the old key to stop after the grace",
      async () => (await chatStatus(old.key)) === 401,
      15_000,
    );
    expect(await chatStatus(rotated.key)).toBe(200);
  });

  test("rotate --help says what the test above shows: the old key keeps working until --grace ends, not refused at its next request", async () => {
    const help = await runMindgw(["keys", "rotate", "--help"]);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, " ");
    // revoke's promise, which rotate's help gave as its own: the old key works on through the grace.
    expect(text).not.toContain("the key's next request is refused");
    expect(text).toContain(
      "--gateway URL that gateway applies it at once: the new key works from its first request, the old one until --grace ends",
    );
    // revoke's help keeps its own promise.
    const revoke = (await runMindgw(["keys", "revoke", "--help"])).stdout.replace(/\s+/g, " ");
    expect(revoke).toContain("the key's next request is refused");
  });

  test("a wrong admin key is a one-line error and exit 2, no stack trace", async () => {
    for (const args of [
      ["list"],
      ["create", "--name", "x", "--json"],
      ["show", "alice"],
      ["revoke", "alice"],
    ]) {
      const out = await runMindgw(["keys", ...args, "--gateway", gw.url, "--admin-key", "mgw_wrong"]);
      expect(out.code).toBe(2);
      expect(out.stdout).toBe("");
      expect(out.stderr.trim().split("\n")).toHaveLength(1);
      expect(out.stderr).toContain(
        "(HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike",
      );
      expect(out.stderr).not.toMatch(STACK_FRAME);
      expect(out.stderr).not.toContain("mgw_wrong");
    }
    const env = { MINDGW_GATEWAY: gw.url, MINDGW_ADMIN_KEY: `mgw_${"Q".repeat(43)}` };
    const viaEnv = await runMindgw(["keys", "list", "--json"], { env });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr.trim().split("\n")).toHaveLength(1);
    expect(viaEnv.stderr).toContain("(HTTP 401): check --admin-key or MINDGW_ADMIN_KEY");
  });

  test("bad input and unknown keys are one-line usage errors (exit 2), locally and remotely", async () => {
    const cases: [string[], string][] = [
      [["show", "no-such-key"], 'no key with id or name "no-such-key"'],
      [["revoke", "no-such-key"], "no active key"],
      [["create", "--name", "bad", "--rpm", "abc"], "--rpm: expected a whole number"],
      [["create", "--name", "bad", "--role", "root"], "--role"],
      [["rotate", "alice", "--grace", "soon"], "--grace"],
      // Past JavaScript's dates: refused, not stored to fail every listing after it.
      [
        ["create", "--name", "poison", "--expires-in", "99999999d"],
        "--expires-in: at most 36500d (100 years)",
      ],
      [["update", "alice", "--expires-in", "99999999d"], "--expires-in: at most 36500d (100 years)"],
      [["rotate", "alice", "--grace", "99999999d"], "--grace: at most 36500d (100 years)"],
    ];
    for (const [args, message] of cases) {
      for (const out of [await local(...args), await remote(...args)]) {
        expect({ args, code: out.code }).toEqual({ args, code: 2 });
        expect(out.stderr.trim().split("\n")).toHaveLength(1);
        expect(out.stderr).toContain(message);
        expect(out.stderr).not.toMatch(STACK_FRAME);
      }
    }
    for (const out of [await local("list", "--all"), await remote("list", "--all")]) {
      expect(out.code).toBe(0);
      expect(out.stdout).not.toContain("poison");
    }
  });

  test("rotate, update, show and revoke by a name in several tenants are refused (exit 2); --tenant says which, locally and remotely", async () => {
    const acme = json<Issued>((await local("create", "--name", "dup", "--tenant", "acme", "--json")).stdout);
    const globex = json<Issued>(
      (await remote("create", "--name", "dup", "--tenant", "globex", "--json")).stdout,
    );
    const refusals: [string[], string][] = [
      [["rotate", "dup"], "nothing was rotated; rotate each by id"],
      [["update", "dup", "--rpm", "1"], "nothing was changed; change each by id"],
      [["show", "dup"], "show each by id"],
      [["revoke", "dup"], "nothing was revoked; revoke each by id"],
    ];
    for (const [args, instead] of refusals)
      for (const out of [await local(...args), await remote(...args)]) {
        expect({ args, code: out.code }).toEqual({ args, code: 2 });
        expect(out.stderr).toContain(`active keys named "dup" are in several tenants (`);
        expect(out.stderr).toContain(`${acme.id} in acme`);
        expect(out.stderr).toContain(`${instead} or name the tenant (--tenant / ?tenant=)`);
      }
    const shown = (out: { stdout: string }) =>
      json<Issued & { tenant: string; rpm: number | null }>(out.stdout);
    // Nothing was rotated or changed.
    expect(shown(await local("show", globex.id, "--json")).rpm).toBeNull();
    expect(shown(await remote("show", acme.id, "--json")).rpm).toBeNull();
    const rotated = shown(await remote("rotate", "dup", "--tenant", "globex", "--grace", "1m", "--json"));
    expect([rotated.tenant, rotated.previous?.id]).toEqual(["globex", globex.id]);
    const changed = shown(await local("update", "dup", "--rpm", "7", "--tenant", "acme", "--json"));
    expect([changed.id, changed.rpm]).toEqual([acme.id, 7]);
    expect(shown(await remote("update", "dup", "--rpm", "8", "--tenant", "acme", "--json")).rpm).toBe(8);
    expect(shown(await remote("show", "dup", "--tenant", "globex", "--json")).id).toBe(rotated.id);
    expect(shown(await local("show", "dup", "--tenant", "acme", "--json")).id).toBe(acme.id);
    const revokedIn = async (out: { code: number; stdout: string }) => {
      expect(out.code).toBe(0);
      return json<{ revoked: { id: string }[] }>(out.stdout).revoked.map((k) => k.id);
    };
    expect(await revokedIn(await local("revoke", "dup", "--tenant", "acme", "--json"))).toEqual([acme.id]);
    expect((await revokedIn(await remote("revoke", "dup", "--tenant", "globex", "--json"))).sort()).toEqual(
      [globex.id, rotated.id].sort(),
    );
  });

  test('--tenant "" (a script\'s unset "$T"): show reads it as no tenant, locally as remotely; revoke, rotate and update refuse it (exit 2, naming tenant), locally and remotely, where they acted on whichever tenant holds the name', async () => {
    const only = json<Issued>((await local("create", "--name", "lone", "--tenant", "acme", "--json")).stdout);
    for (const out of [
      await local("show", only.id, "--tenant", ""),
      await remote("show", only.id, "--tenant", ""),
    ])
      expect({ code: out.code, shown: out.stdout.includes(only.id) }).toEqual({ code: 0, shown: true });
    for (const args of [
      ["revoke", "lone"],
      ["rotate", "lone"],
      ["update", "lone", "--rpm", "1"],
    ])
      for (const out of [await local(...args, "--tenant", ""), await remote(...args, "--tenant", "")]) {
        expect({ args, code: out.code }).toEqual({ args, code: 2 });
        expect(out.stderr).toContain(
          "tenant is empty: name the tenant whose key is meant, or leave tenant out",
        );
      }
    // Nothing was revoked, rotated or changed.
    const lone = json<{ keys: { id: string; rpm: number | null }[] }>(
      (await local("list", "--json")).stdout,
    ).keys.filter((k) => k.id === only.id);
    expect(lone).toEqual([expect.objectContaining({ id: only.id, rpm: null })]);
    expect(
      json<{ keys: { name: string }[] }>((await local("list", "--json")).stdout).keys.filter(
        (k) => k.name === "lone",
      ),
    ).toHaveLength(1);
  });

  test("a revoked key is not rotated by its id: no dead key is issued, locally or remotely", async () => {
    const gone = json<Issued>((await remote("create", "--name", "gone", "--json")).stdout);
    expect((await remote("revoke", gone.id)).code).toBe(0);
    for (const out of [await local("rotate", gone.id), await remote("rotate", gone.id)]) {
      expect(out.code).toBe(2);
      expect(out.stderr.trim().split("\n")).toHaveLength(1);
      expect(out.stderr).toContain(`no active key with id or name "${gone.id}"`);
      expect(out.stdout).not.toContain("mgw_");
    }
    const all = json<{ keys: { name: string }[] }>((await local("list", "--all", "--json")).stdout);
    expect(all.keys.filter((k) => k.name === "gone")).toHaveLength(1);
  });

  test("a non-admin key as --admin-key is refused with exit 2", async () => {
    const user = json<Issued>((await remote("create", "--name", "judy", "--json")).stdout);
    const out = await runMindgw([
      "keys",
      "create",
      "--name",
      "sneaky",
      "--role",
      "admin",
      "--gateway",
      gw.url,
      "--admin-key",
      user.key,
    ]);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split("\n")).toHaveLength(1);
    expect(out.stderr).not.toContain(user.key);
  });

  test("an unreachable gateway is a one-line error and exit 1, saying why as mindgw tail does", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    // https:// to the gateway's plain-http port: a TLS failure, which read as the same "cannot reach".
    const tls = gw.url.replace("http://", "https://");
    for (const [gateway, why] of [
      [url, "connection refused"],
      // It said a bare "EPROTO": the words an upstream's failure uses now (core/why-unreachable.ts).
      [tls, "TLS handshake failed (EPROTO)"],
    ] as const) {
      const out = await runMindgw(["keys", "list", "--gateway", gateway, "--admin-key", adminKey]);
      expect({ gateway, code: out.code, stderr: out.stderr }).toEqual({
        gateway,
        code: 1,
        stderr: `mindgw: cannot reach the gateway at ${gateway}: ${why}\n`,
      });
      // The same words as the tail's, which gives up after five attempts.
      const tail = await runMindgw(["tail", "--json", "--gateway", gateway, "--admin-key", adminKey], {
        timeoutMs: 30_000,
      });
      expect(tail.stderr).toMatch(
        new RegExp(
          `^mindgw tail: cannot reach the gateway at ${gateway}: ${why.replace(/[()]/g, "\\$&")} \\(\\d+ attempts\\)\n$`,
        ),
      );
    }
  }, 60_000);

  test("what a --gateway URL carries besides its place (user info, a query) is never echoed in an error", async () => {
    // "cannot reach the gateway at http://user:secretpw@127.0.0.1:…" quoted the password, and a
    // ?token=… alike; mindgw tail named the origin alone.
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const place = `127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const page = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("<html>hello</html>"),
    });
    try {
      for (const [url, said] of [
        [
          `http://user:secretpw@${place}`,
          `mindgw: cannot reach the gateway at http://${place}: connection refused`,
        ],
        // A query or fragment is refused before any request (the admin path would follow it), unechoed.
        [
          `http://${place}/?token=secretpw`,
          `mindgw: --gateway: a URL with a query or fragment: give http://${place} without it`,
        ],
        [
          `http://user:secretpw@127.0.0.1:${page.port}/mindgw?token=secretpw#secretpw`,
          `mindgw: --gateway: a URL with a query or fragment: give http://127.0.0.1:${page.port}/mindgw without it`,
        ],
        [
          `http://user:secretpw@127.0.0.1:${page.port}/mindgw`,
          `mindgw: --gateway http://127.0.0.1:${page.port}/mindgw is not a mindgw gateway: /admin/api/keys answered HTTP 200 with text/plain, not JSON; give the gateway's URL (with the path a proxy serves it under, if any)`,
        ],
        ["ftp://user:secretpw@host/?token=secretpw", "mindgw: --gateway: not an http(s) URL: ftp://host"],
      ] as const) {
        const out = await runMindgw(["keys", "list", "--gateway", url, "--admin-key", adminKey]);
        expect({ url, stderr: out.stderr.trim() }).toEqual({ url, stderr: said });
      }
    } finally {
      await page.stop(true);
    }
  });

  test("a URL that is not a gateway is a one-line usage error (exit 2), not a parser crash", async () => {
    const page = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("<html>hello</html>"),
    });
    try {
      for (const args of [["list"], ["show", "alice", "--json"]]) {
        const out = await runMindgw([
          "keys",
          ...args,
          "--gateway",
          `http://127.0.0.1:${page.port}`,
          "--admin-key",
          adminKey,
        ]);
        expect(out.code).toBe(2);
        expect(out.stderr.trim().split("\n")).toHaveLength(1);
        expect(out.stderr).toContain("is not a mindgw gateway");
        expect(out.stderr).not.toContain(adminKey);
      }
    } finally {
      await page.stop(true);
    }
  });

  test("--gateway without an admin key is a usage error", async () => {
    const out = await runMindgw(["keys", "list", "--gateway", gw.url]);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("keys -c after storage.path was edited under a running gateway (restart-only)", () => {
  test("says that it creates a new, empty database the gateway does not see, where it did so silently", async () => {
    const node = await fx.spawn({ config: config() });
    const moved = join(node.dir, "moved.db");
    await node.writeConfig({ ...config(), storage: { path: moved } });
    await waitFor("the restart-only edit", () => node.stderr.all.includes("restart required for: storage"));
    const created = await runMindgw(["keys", "create", "-c", node.configPath, "--name", "unseen", "--json"]);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe(
      `mindgw: warning: no database at ${moved} yet: creating a new, empty one; a gateway already serving this config keeps the database it started on until it restarts (storage.path takes effect at restart), and never sees what is done here\n`,
    );
    // True: the gateway serves on from the file it started on.
    const { key } = json<Issued>(created.stdout);
    const status = await fetch(`${node.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(key),
      body: chatBody("m1"),
    });
    expect(status.status).toBe(401);
    // The database there now, the next command says nothing.
    const listed = await runMindgw(["keys", "list", "-c", node.configPath]);
    expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: "" });
  });
});

describe("which target: a flag beats the environment", () => {
  test("-c FILE with MINDGW_GATEWAY set works on that file's store, for keys, tenants and shadow", async () => {
    const other = dir.file("other.yaml");
    await Bun.write(other, `storage: { path: ${dir.file("other.db")} }\n`);
    // The gateway of the environment would refuse this key (exit 2): a 0 means it was not asked.
    const env = { MINDGW_GATEWAY: gw.url, MINDGW_ADMIN_KEY: `mgw_${"Q".repeat(43)}` };
    const created = await runMindgw(["keys", "create", "-c", other, "--name", "for-other", "--json"], {
      env,
    });
    expect(created.code).toBe(0);
    const inOther = json<{ keys: { name: string }[] }>(
      (await runMindgw(["keys", "list", "-c", other, "--json"], { env })).stdout,
    );
    expect(inOther.keys.map((k) => k.name)).toEqual(["for-other"]);
    const inGateway = json<{ keys: { name: string }[] }>((await remote("list", "--json")).stdout);
    expect(inGateway.keys.map((k) => k.name)).not.toContain("for-other");
    for (const args of [["tenants"], ["shadow", "report"]]) {
      const out = await runMindgw([...args, "-c", other, "--json"], { env });
      expect({ args, code: out.code, stderr: out.stderr }).toEqual({ args, code: 0, stderr: "" });
    }
  });

  test("--gateway with MINDGW_CONFIG set works through the gateway; both flags at once are refused", async () => {
    const env = { MINDGW_CONFIG: dir.file("absent.yaml") };
    const listed = await runMindgw(["keys", "list", "--gateway", gw.url, "--admin-key", adminKey, "--json"], {
      env,
    });
    expect(listed.code).toBe(0);
    const both = await runMindgw(["keys", "list", "-c", gw.configPath, "--gateway", gw.url]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give one of them");
    const help = await runMindgw(["keys", "list", "--help"]);
    expect(help.stdout).toContain("A flag beats the environment");
  });
});

describe("a database at an older schema (the package upgraded, the older `mindgw serve` still on it)", () => {
  test("keys list -c leaves its schema as it is and says why (exit 2); --migrate migrates it; a new database is made by the first command", async () => {
    const db = join(dir.path, "older", "gw.db");
    const configPath = join(dir.path, "older.yaml");
    await Bun.write(configPath, `storage: { driver: sqlite, path: ${JSON.stringify(db)} }\n`);
    const keys = (...args: string[]) => runMindgw(["keys", ...args, "-c", configPath]);
    // First use, before any serve: the database is made.
    expect((await keys("create", "--name", "first-admin", "--role", "admin", "--json")).code).toBe(0);
    expect((await keys("list")).code).toBe(0);
    // As an earlier release left it: shadow at migration 2, without the trigger of 3 (nor 4's).
    const file = new Database(db);
    file.run("DELETE FROM schema_migrations WHERE component = 'shadow' AND version >= 3");
    file.run("DROP TRIGGER IF EXISTS shadow_pairs_key_id");
    const ledger = () =>
      file
        .query<{ component: string; version: number }, []>(
          "SELECT component, version FROM schema_migrations ORDER BY 1, 2",
        )
        .all();
    const before = ledger();

    const refused = await keys("list");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `the database at ${db} is at an older schema (shadow@2, this release's 4); start \`mindgw serve\` of this release first, or pass --migrate`,
    );
    expect(refused.stdout).toBe("");
    expect(ledger()).toEqual(before);

    const migrated = await keys("list", "--migrate");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain("first-admin");
    expect(ledger()).toEqual(
      [...before, { component: "shadow", version: 3 }, { component: "shadow", version: 4 }].sort((a, b) =>
        a.component.localeCompare(b.component),
      ),
    );
    file.close();
  });
});

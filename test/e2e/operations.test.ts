import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { SignJWT } from "jose";
import { stringify } from "yaml";
import { quotedSpan } from "../docs/doc-blocks.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// What a new operator runs into: a second process on the port, SIGHUP, a config file that is
// empty after a failed deploy.
const f = gatewayFixture({ models: ["m1"] });

const chat = (model: string) =>
  fetch(f.url("/v1/chat/completions"), {
    method: "POST",
    headers: bearer(f.adminKey),
    body: chatBody(model),
  });

describe("one process per port", () => {
  test("a second gateway on a port in use fails to start with exit 1 and says why", async () => {
    const dir = tempDir();
    try {
      const config = dir.file("second.yaml");
      await Bun.write(config, stringify({ storage: { path: dir.file("second.db") } }));
      const second = await runMindgw([
        "serve",
        "-c",
        config,
        "--host",
        "127.0.0.1",
        "--port",
        String(f.gw.port),
      ]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain("already in use");
      expect(second.stdout).not.toContain("serving on");
      // Its key store was empty, but the one-time admin key is made only once the port is taken:
      // the failed start neither shows nor uses it up, and the first start that listens shows it.
      expect(second.stdout).not.toContain("mgw_");
      const started = await f.spawn({ dir: dir.path, configPath: config });
      expect(started.adminKey).toMatch(/^mgw_[A-Za-z0-9]{43}$/);
      const models = await fetch(`${started.url}/v1/models`, { headers: bearer(started.adminKey!) });
      expect(models.status).toBe(200);
      await started.stop();
    } finally {
      dir.cleanup();
    }
  });
});

describe("the one-time admin key", () => {
  test("a first start whose stdout goes nowhere (serve >&-) says so on stderr, without the key", async () => {
    const started = await f.spawn({
      config: { providers: [{ name: "mock", type: "mock" }] },
      stdoutDiscarded: true,
    });
    const said = await waitFor("the log to say the key reached no one", () =>
      started.stderr.match(
        /error the key store was empty, so an admin key \(bootstrap-admin\) was created, but (.*)/,
      ),
    );
    expect(said[1]).toStartWith(
      "stdout is /dev/null (closed, or sent there): it is shown nowhere (never in the log).",
    );
    expect(said[1]).toContain("mindgw keys revoke bootstrap-admin -c");
    // The key itself is never in the log: stderr is collected and kept more widely than stdout.
    expect(started.stderr.all).not.toMatch(/mgw_[A-Za-z0-9]/);
    expect(await started.stop()).toBe(0);
  });
});

describe("a store that cannot be created", () => {
  test("serve fails naming storage.path and the path: the Docker layout, a config folder the gateway's user cannot write", async () => {
    const dir = tempDir();
    // As in the image: the config in a folder its user may read but not write, storage.path at
    // its default (./data/mindgw.db, beside the config). Root writes anywhere, so as root the
    // gateway runs as the image's uid 10001 instead.
    const etc = dir.file("etc");
    mkdirSync(etc);
    try {
      const config = `${etc}/config.yaml`;
      await Bun.write(config, stringify({ providers: [{ name: "mock", type: "mock" }] }));
      chmodSync(etc, 0o555);
      chmodSync(dir.path, 0o755);
      const asRoot = process.getuid?.() === 0;
      const via = asRoot ? ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups"] : [];
      const args = ["serve", "-c", config, "--host", "127.0.0.1", "--port", "0"];
      const result = await runMindgw(args, { via, cwd: dir.path });
      // A setting to fix, as a server.host that is no address here is: exit 2 (it was 1, a runtime
      // failure), in one line.
      expect({ code: result.code, lines: result.stderr.trimEnd().split("\n").length }).toEqual({
        code: 2,
        lines: 1,
      });
      expect(result.stderr).toContain(
        // Said once the config is read: an error line in the log's format (text by default).
        ` error storage.path: cannot create or open ${etc}/data/mindgw.db: EACCES`,
      );
      expect(result.stdout).not.toContain("serving on");
      // As docs/DEPLOYMENT.md quotes it (before: with the CLI's `mindgw:` prefix, which serve's log
      // line has not), up to its "…", the quote's folder this test's.
      const quoted = quotedSpan("docs/DEPLOYMENT.md", "cannot create or open /etc/mindgw/data/mindgw.db");
      expect(result.stderr).toContain(
        ` error ${(quoted.split("…")[0] ?? "").trimEnd().replace("/etc/mindgw", etc)}`,
      );
    } finally {
      chmodSync(etc, 0o755);
      dir.cleanup();
    }
  });

  test("serve and keys create with a storage.path under a file: exit 2, one line naming the path and the OS's reason (no new-database warning before it: no database was made)", async () => {
    const dir = tempDir();
    try {
      writeFileSync(dir.file("afile"), "");
      const config = dir.file("config.yaml");
      await Bun.write(config, stringify({ storage: { driver: "sqlite", path: "./afile/data/mindgw.db" } }));
      const db = dir.file("afile/data/mindgw.db");
      const said = `storage.path: cannot create or open ${db}: ENOTDIR: not a directory, mkdir '${dir.file("afile/data")}'`;
      // keys create says it made a new database only once it did (config-store.ts,
      // newDatabaseWarning): before this release it said "creating a new, empty one" first.
      for (const args of [
        ["serve", "-c", config, "--host", "127.0.0.1", "--port", "0"],
        ["keys", "create", "--name", "a", "--role", "user", "-c", config],
      ]) {
        const result = await runMindgw(args);
        // Its lines counted, as the EACCES case does: the failure in one, and nothing else.
        const lines = result.stderr.trimEnd().split("\n");
        expect({
          args,
          code: result.code,
          stdout: result.stdout,
          lines: lines.length,
          said: lines[0]?.includes(said),
        }).toEqual({
          args,
          code: 2,
          stdout: "",
          lines: 1,
          said: true,
        });
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe("the allocator keeps the pages it frees (docs/DEPLOYMENT.md, Memory)", () => {
  /** The binary run to completion with mimalloc printing its options, `env` over ours without the setting. */
  const verbose = async (args: string[], env: Record<string, string> = {}) => {
    const { code, stderr } = await runMindgw(args, {
      env: { MIMALLOC_VERBOSE: "1", MIMALLOC_PURGE_DELAY: undefined, ...env },
    });
    // One line a start of the allocator: the process's own, then its restart's.
    return { code, delays: [...stderr.matchAll(/option 'purge_delay': (-?\d+)/g)].map((m) => m[1]) };
  };
  // A serve that fails at once (the fixture holds the port) shows what it started as.
  const serveOnTakenPort = (dir: ReturnType<typeof tempDir>) => [
    "serve",
    "--config",
    dir.file("taken.yaml"),
    "--host",
    "127.0.0.1",
    "--port",
    String(f.gw.port),
  ];

  test("the running gateway is the pid it was started as, with MIMALLOC_PURGE_DELAY=-1", async () => {
    const environ = (await readFile(`/proc/${f.gw.proc.pid}/environ`, "utf8")).split("\0");
    expect(environ).toContain(`MIMALLOC_PURGE_DELAY=${process.env.MIMALLOC_PURGE_DELAY ?? "-1"}`);
  });

  test("serve starts once more with the purge off; an operator's value is kept; brief commands start once", async () => {
    const dir = tempDir();
    try {
      await Bun.write(dir.file("taken.yaml"), stringify({ storage: { path: dir.file("taken.db") } }));
      const started = await verbose(serveOnTakenPort(dir));
      expect(started.code).toBe(1);
      expect(started.delays).toHaveLength(2);
      expect(started.delays[1]).toBe("-1");
      const kept = await verbose(serveOnTakenPort(dir), { MIMALLOC_PURGE_DELAY: "250" });
      expect(kept.delays).toEqual(["250"]);
      const brief = await verbose(["--version"]);
      expect(brief.code).toBe(0);
      expect(brief.delays).toHaveLength(1);
      expect(brief.delays[0]).not.toBe("-1");
    } finally {
      dir.cleanup();
    }
  });
});

describe("threads an operator can tell apart", () => {
  // `top -H`, `ps -L` and perf show a thread's name; a Worker is "Worker" unless it is given one.
  test("once a request is audited, the audit thread runs under its own name", async () => {
    expect((await chat("m1")).status).toBe(200);
    const names = async () => {
      const tasks = await readdir(`/proc/${f.gw.proc.pid}/task`);
      return Promise.all(
        tasks.map(async (t) => (await readFile(`/proc/${f.gw.proc.pid}/task/${t}/comm`, "utf8")).trim()),
      );
    };
    await waitFor("a thread named mindgw-audit", async () => (await names()).includes("mindgw-audit"));
    expect(await names()).not.toContain("Worker");
  });
});

describe("config reloads", () => {
  test("an empty config file is rejected and the routes stay", async () => {
    const before = f.gw.stderr.all.length;
    await f.gw.writeConfig("");
    await waitFor("the rejection in the log", () =>
      f.gw.stderr.all.slice(before).includes("the file is empty"),
    );
    expect((await chat("m1")).status).toBe(200);
  });

  test("SIGHUP reloads the file instead of killing the process", async () => {
    const before = f.gw.stderr.all.length;
    // Written with the watcher's help or not, SIGHUP must leave the gateway running and serving.
    await f.gw.writeConfig(fakeRoutesConfig(f.fake.url, ["m1", "m2"]));
    f.gw.proc.kill("SIGHUP");
    await waitFor("the SIGHUP line", () => f.gw.stderr.all.slice(before).includes("SIGHUP received"));
    await waitFor("m2 to route", async () => (await chat("m2")).status === 200);
    expect(f.gw.proc.exitCode).toBeNull();
    // A SIGHUP with nothing changed says so and keeps serving.
    f.gw.proc.kill("SIGHUP");
    await waitFor("the unchanged line", () => f.gw.stderr.all.slice(before).includes("unchanged"));
    expect((await chat("m1")).status).toBe(200);
  });

  test("SIGHUP with the file gone is a rejected reload, not 'unchanged'; the old config serves on", async () => {
    const status = async () =>
      (
        (await (await fetch(f.url("/admin/api/status"), { headers: bearer(f.adminKey) })).json()) as {
          config: { lastReloadError: string | null; lastEvent: { type: string; error?: string } | null };
        }
      ).config;
    const before = f.gw.stderr.all.length;
    renameSync(f.gw.configPath, `${f.gw.configPath}.away`);
    f.gw.proc.kill("SIGHUP");
    const rejected = await waitFor("the rejection in the status", async () => {
      const current = await status();
      return current.lastReloadError ? current : undefined;
    });
    expect(rejected.lastReloadError).toBe(`${f.gw.configPath}: cannot be read: no such file`);
    expect(rejected.lastEvent).toMatchObject({ type: "config.rejected", error: rejected.lastReloadError });
    await waitFor("the rejection in the log", () =>
      f.gw.stderr.all.slice(before).includes("config change rejected, still serving the previous config"),
    );
    expect(f.gw.stderr.all.slice(before)).not.toContain("unchanged");
    expect((await chat("m2")).status).toBe(200);
    // Back in place, the same file is read as a change: applied, and the error is cleared.
    renameSync(`${f.gw.configPath}.away`, f.gw.configPath);
    await waitFor("the error to clear", async () => (await status()).lastReloadError === null);
    expect((await chat("m2")).status).toBe(200);
  });
});

describe("what a reload applies", () => {
  const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
  const jwt = { secret: SECRET, issuer: "https://idp.test", audience: "mindgw", algorithms: ["HS256"] };
  const token = () =>
    new SignJWT({ sub: "carol" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer("https://idp.test")
      .setAudience("mindgw")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(SECRET));
  const withJwt = (headers: Record<string, string>) =>
    fetch(f.url("/v1/chat/completions"), { method: "POST", headers, body: chatBody("m1") });

  test("auth.jwt takes effect on the next request; restart-only edits are reported, not applied", async () => {
    const bearerToken = await token();
    expect((await withJwt(bearer(bearerToken))).status).toBe(401);
    const before = f.gw.stderr.all.length;
    await f.gw.writeConfig(
      fakeRoutesConfig(f.fake.url, ["m1"], { auth: { jwt }, workers: { max_message: "2MB" } }),
    );
    await waitFor("the JWT to be accepted", async () => (await withJwt(bearer(bearerToken))).status === 200);
    await waitFor("the restart-required warning", () =>
      f.gw.stderr.all.slice(before).includes("restart required for: workers.max_message"),
    );
    const status = (await (
      await fetch(f.url("/admin/api/status"), { headers: bearer(f.adminKey) })
    ).json()) as { config: { restartRequired: string[] } };
    expect(status.config.restartRequired).toEqual(["workers.max_message"]);
  });
});

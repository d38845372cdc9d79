import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { childEnv } from "../../src/testing/off-cloud-env.ts";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { MINDGW } from "./harness/binary.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { ProcessOutput } from "./harness/process-output.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  requestIdOf,
  spawnTail,
  type TailLine,
  type TailProcess,
  untilListening,
} from "./harness/spawn-tail.ts";
import { createKey, spawnWorker, type WorkerProcess } from "./harness/spawn-worker.ts";
import { chatForId } from "./harness/tail-pipe.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Issue 7, `mindgw tail` for pipes: NDJSON from the compiled binary (with --json, or simply
 * because stdout is not a terminal), the --model/--key/--status filters, `| head -n 1`, a
 * gateway restart, and the one-line errors with their exit codes.
 */

let fake: FakeUpstream;
let gw: GatewayProcess;
let adminKey: string;
const keys: Record<"alice" | "bob", string> = { alice: "", bob: "" };

/** A chat request; returns its request id (from `x-request-id`) once answered. */
const chat = (key: string, model: string, text = "hi", url = gw.url): Promise<string> =>
  chatForId(url, key, model, text);

/** The same traffic for every filter: two keys, two models, a 404 and a 502. */
async function sendMix() {
  return {
    aliceM1: await chat(keys.alice, "m1"),
    bobM2: await chat(keys.bob, "m2"),
    aliceM2: await chat(keys.alice, "m2"),
    bobNope: await chat(keys.bob, "nope"),
    alice502: await chat(keys.alice, "m1", "[[fake:status=502]]"),
  };
}

/** Runs a tail with `args`, sends the mix, and returns the request ids it printed, by event type. */
async function seenWith(args: string[], probe: () => Promise<string>) {
  const tail = spawnTail(["--gateway", gw.url, ...args], { MINDGW_ADMIN_KEY: adminKey });
  try {
    const probes = await untilListening(tail, probe);
    const mix = await sendMix();
    const last = await probe();
    probes.add(last);
    await tail.finished(last);
    const lines = tail.lines().filter((l) => !probes.has(requestIdOf(l)));
    const ids = (type: string) => lines.filter((l) => l.type === type).map(requestIdOf);
    return { mix, lines, started: ids("request.started"), finished: ids("request.finished"), tail };
  } finally {
    await tail.stop();
  }
}

const fx = gatewayFixture({ models: ["m1", "m2"] });

beforeAll(async () => {
  ({ fake, gw } = fx);
  adminKey = gw.adminKey ?? "";
  keys.alice = await createKey(gw.url, adminKey, { name: "alice", role: "user" });
  keys.bob = await createKey(gw.url, adminKey, { name: "bob", role: "user" });
}, 30_000);

describe("NDJSON", () => {
  test("stdout a pipe, no --json: one JSON line per event, started before finished", async () => {
    const { mix, lines, tail } = await seenWith([], () => chat(keys.alice, "m1"));
    for (const [name, id] of Object.entries(mix)) {
      const started = lines.findIndex((l) => l.type === "request.started" && l.requestId === id);
      const finished = lines.findIndex((l) => l.type === "request.finished" && l.record?.requestId === id);
      expect({ name, started: started >= 0, finished: finished > started }).toEqual({
        name,
        started: true,
        finished: true,
      });
    }
    const record = (id: string | undefined) => lines.find((l) => l.record?.requestId === id)?.record;
    expect(record(mix.bobM2)).toMatchObject({ keyName: "bob", model: "m2", status: 200 });
    expect(record(mix.bobNope)).toMatchObject({ keyName: "bob", model: "nope", status: 404 });
    expect(record(mix.alice502)).toMatchObject({ keyName: "alice", model: "m1", status: 502 });
    expect(lines.find((l) => l.requestId === mix.aliceM2)).toMatchObject({ keyName: "alice", model: "m2" });
    expect(tail.stdout.all).not.toContain(adminKey);
    expect(tail.stderr.all).toBe("");
  }, 40_000);

  test("--model m2 prints only m2's requests", async () => {
    const { mix, lines, started, finished } = await seenWith(["--json", "--model", "m2"], () =>
      chat(keys.alice, "m2"),
    );
    expect(new Set(started)).toEqual(new Set([mix.bobM2, mix.aliceM2]));
    expect(new Set(finished)).toEqual(new Set([mix.bobM2, mix.aliceM2]));
    expect(lines.every((l) => l.type.startsWith("request."))).toBe(true);
  }, 40_000);

  test("--key bob prints only bob's requests", async () => {
    const { mix, started, finished } = await seenWith(["--json", "--key", "bob"], () => chat(keys.bob, "m1"));
    expect(new Set(started)).toEqual(new Set([mix.bobM2, mix.bobNope]));
    expect(new Set(finished)).toEqual(new Set([mix.bobM2, mix.bobNope]));
  }, 40_000);

  test("--status 4xx prints only finished 4xx requests", async () => {
    const { mix, lines, finished } = await seenWith(["--json", "--status", "4xx"], () =>
      chat(keys.alice, "missing"),
    );
    expect(finished).toEqual([mix.bobNope]);
    expect(lines.map((l) => l.type)).toEqual(["request.finished"]);
  }, 40_000);

  test("filters combine: --model m1 --status 502", async () => {
    const { mix, finished } = await seenWith(["--json", "--model", "m1", "--status", "502"], () =>
      chat(keys.bob, "m1", "[[fake:status=502]]"),
    );
    expect(finished).toEqual([mix.alice502]);
  }, 40_000);

  test("the admin API's own calls are printed only with --admin", async () => {
    for (const withAdmin of [false, true]) {
      const tail = spawnTail(["--gateway", gw.url, "--json", ...(withAdmin ? ["--admin"] : [])], {
        MINDGW_ADMIN_KEY: adminKey,
      });
      try {
        await untilListening(tail, () => chat(keys.alice, "m1"));
        const id = `admin-read-${withAdmin}`;
        const read = await fetch(`${gw.url}/admin/api/status`, {
          headers: { ...bearer(adminKey), "x-request-id": id },
        });
        expect(read.status).toBe(200);
        await read.arrayBuffer();
        // A model call after it: once its line is out, the admin call's would be too.
        await tail.finished(await chat(keys.alice, "m1"));
        // An admin call is announced when it finishes (no request.started: it calls no model).
        const printed = tail.lines().filter((l) => requestIdOf(l) === id);
        expect({ withAdmin, types: printed.map((l) => l.type) }).toEqual({
          withAdmin,
          types: withAdmin ? ["request.finished"] : [],
        });
      } finally {
        await tail.stop();
      }
    }
  }, 40_000);

  test("a worker's connection, drain and leaving are lines of their own: worker.draining as it announces its drain, worker.lost saying it left drained", async () => {
    const tail = spawnTail(["--gateway", gw.url, "--json"], { MINDGW_ADMIN_KEY: adminKey });
    const token = await createKey(gw.url, adminKey, { name: "leaving-token", role: "worker" });
    let leaving: WorkerProcess | undefined;
    const holding = new AbortController();
    try {
      await untilListening(tail, () => chat(keys.alice, "m1"));
      leaving = spawnWorker({
        gateway: gw.url,
        token,
        upstream: `${fake.url}/v1`,
        name: "gpu-d",
        models: ["m9"],
      });
      const ofGpuD = () =>
        tail.lines().filter((l) => l.type.startsWith("worker.") && l.worker?.name === "gpu-d");
      await waitFor("gpu-d's worker.connected line", () => ofGpuD().length === 1);
      // gpu-d holds a call its upstream never answers: it drains, still connected, till that ends.
      const held = fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(adminKey),
        body: chatBody("m9", "json drain hold [[fake:hang]]"),
        signal: holding.signal,
      }).catch(() => undefined);
      await waitFor("the upstream to have gpu-d's call", () =>
        fake.requests.some((r) => JSON.stringify(r.body).includes("json drain hold")),
      );
      leaving.proc.kill("SIGTERM");
      await waitFor("gpu-d's worker.draining line", () => ofGpuD().length === 2);
      holding.abort();
      await held;
      // Its call over, it leaves of itself (a second signal would stop it at once: no drain).
      const worker = leaving;
      expect(await waitFor("gpu-d to exit, drained", () => worker.proc.exitCode ?? undefined, 20_000)).toBe(
        0,
      );
      await waitFor("gpu-d's worker.lost line", () => ofGpuD().length === 3);
      // Its leaving, its drain over, says it left as planned.
      expect(ofGpuD().map((l) => [l.type, l.worker?.draining, l.drained])).toEqual([
        ["worker.connected", false, undefined],
        ["worker.draining", true, undefined],
        ["worker.lost", true, true],
      ]);
      expect(ofGpuD()[1]?.worker?.inFlight).toBe(1);
    } finally {
      holding.abort();
      await leaving?.stop("SIGKILL");
      await tail.stop();
    }
  }, 60_000);

  test("C1 controls in a key's name are written escaped (\\u009b), never raw: a terminal would run them", async () => {
    // The admin API refuses such a name now; a key stored before it did keeps its own, so the row
    // is named so in the database, as an older release left it, before the key's first use.
    const name = "c1\u009b2J\u001b]0;owned\u0007key";
    const hostile = await createKey(gw.url, adminKey, { name: "c1-placeholder", role: "user" });
    const db = new Database(join(gw.dir, "mindgw.db"));
    try {
      db.run("UPDATE api_keys SET name = ? WHERE name = 'c1-placeholder'", [name]);
    } finally {
      db.close();
    }
    const tail = spawnTail(["--gateway", gw.url, "--json", "--key", name], { MINDGW_ADMIN_KEY: adminKey });
    try {
      const seen = await untilListening(tail, () => chat(hostile, "m1"));
      const printed = tail.lines().filter((l) => seen.has(requestIdOf(l)));
      expect(printed.some((l) => l.type === "request.finished" && l.record?.keyName === name)).toBe(true);
      expect(tail.stdout.all).toContain("c1\\u009b2J\\u001b]0;owned\\u0007key");
      expect(tail.stdout.all).not.toMatch(/[\u007f-\u009f]/);
    } finally {
      await tail.stop();
    }
  }, 40_000);

  test("`| head -n 1` takes one line and the tail exits cleanly", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${PIPESTATUS[0]}, not a template.
    const script = '"$0" tail --json --gateway "$1" | head -n 1; echo "tail exited ${PIPESTATUS[0]}"';
    const proc = Bun.spawn(["bash", "-c", script, MINDGW, gw.url], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: childEnv({ MINDGW_ADMIN_KEY: adminKey }),
    });
    const stdout = new ProcessOutput(proc.stdout);
    const stderr = new ProcessOutput(proc.stderr);
    try {
      // Traffic until the pipeline ends: head leaves after one line, the tail at its next write.
      await waitFor(
        "the pipeline to end",
        async () => {
          await chat(keys.alice, "m1");
          return proc.exitCode !== null;
        },
        20_000,
        50,
      );
      await Promise.all([stdout.done, stderr.done]);
      const [first, status, ...rest] = stdout.all.split("\n");
      expect((JSON.parse(first ?? "") as TailLine).type).toStartWith("request.");
      expect(status).toBe("tail exited 0");
      expect(rest.join("")).toBe("");
      expect(stderr.all).toBe("");
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  }, 30_000);

  test("a gateway restart: one line to stderr each way, then new traffic flows", async () => {
    const config = fakeRoutesConfig(fake.url, ["m1"]);
    let first: GatewayProcess | undefined;
    let tail: TailProcess | undefined;
    try {
      first = await fx.spawn({ config });
      const key = first.adminKey ?? "";
      const url = first.url;
      tail = spawnTail(["--json", "--gateway", url, "--admin-key", key]);
      await untilListening(tail, () => chat(key, "m1", "hi", url));
      expect(await first.stop("SIGTERM")).toBe(0);
      const current = tail;
      await waitFor("the reconnecting line", () => current.stderr.all.includes("reconnecting in"));
      await fx.spawn({ config, dir: first.dir, port: first.port });
      await waitFor(
        "the reconnected line",
        () => current.stderr.all.includes(`reconnected to ${url}`),
        20_000,
      );
      await current.finished(await chat(key, "m1", "hi", url));
      const messages = current.stderr.all.split("\n").filter(Boolean);
      expect(messages.every((line) => /^mindgw tail: /.test(line))).toBe(true);
      expect(current.stderr.all).not.toContain(key);
    } finally {
      await tail?.stop();
    }
  }, 60_000);
});

describe("errors: one line on stderr, an exit code, no stack trace", () => {
  const oneLine = (stderr: string) => {
    expect(stderr.endsWith("\n")).toBe(true);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    // A stack frame's line starts with `at`: the gateway's place (`… the gateway at http://…:port`) is no
    // frame.
    expect(stderr).not.toMatch(/^\s*at .*[:(]\d+|\.tsx?\b|Error:/m);
  };

  test("a rejected admin key exits 2", async () => {
    const out = await runMindgw(["tail", "--json", "--gateway", gw.url, "--admin-key", "mgw_wrong"]);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toBe(
      `mindgw tail: admin key rejected by ${gw.url} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike\n`,
    );
    oneLine(out.stderr);
  });

  // In every admin command's words, the tail's count of attempts after them: it said
  // 'cannot reach URL: …', the others 'cannot reach the gateway at URL: …'.
  test("nothing listening at the URL exits 1 after a few attempts, worded as every command's", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const out = await runMindgw(["tail", "--json", "--gateway", url], {
      env: { MINDGW_ADMIN_KEY: adminKey },
      timeoutMs: 30_000,
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(
      /^mindgw tail: cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+: connection refused \(\d+ attempts\)\n$/,
    );
    oneLine(out.stderr);
  }, 40_000);

  // In every other command's words ('mindgw: --gateway: …', '--status: …'): the tail said them its
  // own way ('mindgw tail: invalid gateway URL: …', 'invalid --status "6xx"').
  test("usage errors exit 2, worded as every command's: no admin key, a malformed URL, a bad --status", async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [["--gateway", gw.url], {}, "mindgw: --gateway needs --admin-key or MINDGW_ADMIN_KEY\n"],
      [[], { MINDGW_GATEWAY: gw.url }, "mindgw: MINDGW_GATEWAY needs --admin-key or MINDGW_ADMIN_KEY\n"],
      [[], {}, "mindgw: tail needs --admin-key or MINDGW_ADMIN_KEY\n"],
      [
        ["--gateway", "ht!tp://x", "--admin-key", adminKey],
        {},
        "mindgw: --gateway: bad host name in ht!tp://x\n",
      ],
      [
        ["--admin-key", adminKey],
        { MINDGW_GATEWAY: "127.0.0.1:99999" },
        "mindgw: MINDGW_GATEWAY: not a port: 99999 (1 to 65535) in 127.0.0.1:99999\n",
      ],
      [
        ["--gateway", gw.url, "--admin-key", adminKey, "--status", "6xx"],
        {},
        'mindgw: --status: "6xx": use a class like 4xx or a code like 429\n',
      ],
    ];
    for (const [args, env, words] of cases) {
      const out = await runMindgw(["tail", "--json", ...args], { env });
      expect({ args, env, code: out.code, stderr: out.stderr, stdout: out.stdout }).toEqual({
        args,
        env,
        code: 2,
        stderr: words,
        stdout: "",
      });
    }
  });

  test("the compiled binary has the tail command (ink bundled, devtools stubbed)", async () => {
    const out = await runMindgw(["tail", "--help"]);
    expect(out.code).toBe(0);
    for (const option of ["--gateway", "--admin-key", "--model", "--key", "--status", "--admin", "--json"]) {
      expect(out.stdout).toContain(option);
    }
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { waitFor, waitForValue } from "../testing/wait-for.ts";
import { runTail } from "./run-tail.ts";
import { STOP_SIGNALS } from "./stop-signals.ts";
import type { TailOutput } from "./tail-options.ts";
import { FakeGateway } from "./testing/fake-gateway.ts";
import { FakeStdin, FakeStdout } from "./testing/fake-terminal.tsx";
import { finishedEvent, worker } from "./testing/fixtures.ts";
import { textSink } from "./testing/text-sink.ts";

const gateways: FakeGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});

function startInteractive(gateway: string, adminKey: string, workersRefreshMs = 50) {
  const stdout = new FakeStdout(100, 30);
  stdout.isTTY = true;
  const stdin = new FakeStdin();
  const stderr = textSink();
  const controller = new AbortController();
  const exit = runTail({
    gateway,
    adminKey,
    json: false,
    stdout: stdout as unknown as TailOutput,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stderr.stream,
    signal: controller.signal,
    backoff: { initialMs: 20, maxMs: 1500, jitter: 0 },
    flushMs: 10,
    workersRefreshMs,
  });
  const output = () => stdout.frames.join("");
  return { stdout, stdin, stderr, controller, exit, output };
}

describe("runTail on a terminal", () => {
  test("draws events and workers, shows reconnecting while the gateway is down, quits on q", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    gateway.workers = [worker({ name: "gpu-east", lastHeartbeatAt: Date.now() })];
    const tail = startInteractive(gateway.url, gateway.adminKey);
    await waitFor("connection", () => gateway.liveStreams === 1);
    await waitFor("live status", () => tail.output().includes("● live"));
    gateway.send(finishedEvent({ requestId: "r1", keyName: "dora" }));
    await waitFor("row drawn", () => tail.output().includes("dora"));
    tail.stdin.write("w");
    await waitFor("workers pane from /admin/api/workers", () => tail.output().includes("gpu-east"));
    await gateway.stop();
    await waitFor("reconnecting status", () => tail.output().includes("reconnecting in"));
    tail.stdin.write("q");
    expect(await tail.exit).toBe(0);
    // The alternate screen is left on exit, restoring the terminal.
    expect(tail.output()).toContain("\u001b[?1049l");
    expect(tail.output()).not.toContain(gateway.adminKey);
    expect(new Set(gateway.userAgents)).toEqual(new Set(["mindgw-tail"]));
  });

  test("the workers pane judges heartbeats by the gateway's timeout, and says which worker is out of rotation", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const now = Date.now();
    // workers.heartbeat_timeout: 150s, a heartbeat every 50 s: one heard 23 s ago is on time.
    gateway.heartbeats = { heartbeatMs: 50_000, heartbeatTimeoutMs: 150_000 };
    gateway.workers = [
      worker({ id: "1", name: "gpu-calm", lastHeartbeatAt: now - 23_000 }),
      // Its model server kept failing: the gateway passes it over for a minute.
      { ...worker({ id: "2", name: "gpu-failing", lastHeartbeatAt: now }), ejectedUntil: now + 60_000 },
    ];
    const tail = startInteractive(gateway.url, gateway.adminKey);
    await waitFor("live status", () => tail.output().includes("● live"));
    tail.stdin.write("w");
    const screen = () => tail.stdout.screen.text();
    await waitFor(
      "both workers in the pane",
      () => screen().includes("gpu-calm") && screen().includes("gpu-failing"),
    );
    await waitFor("the list read, its heartbeat timing with it", () => /gpu-calm\s.*\bok\b/.test(screen()));
    expect(screen()).toMatch(/gpu-failing\s.*\bout (59|60)s\b/);
    expect(screen()).not.toContain("late");
    tail.stdin.write("q");
    expect(await tail.exit).toBe(0);
  });

  test("a wrong admin key ends with exit 2 and one line on stderr after the screen is restored", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const tail = startInteractive(gateway.url, "mgw_not_the_key");
    expect(await tail.exit).toBe(2);
    expect(tail.stderr.lines()).toEqual([
      `mindgw tail: admin key rejected by ${gateway.url} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike`,
    ]);
    expect(tail.output()).not.toContain("mgw_not_the_key");
  });

  test("a frame drawn for the old width after the terminal shrank leaves nothing behind once the resize arrives", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const tail = startInteractive(gateway.url, gateway.adminKey);
    const screen = () => tail.stdout.screen.text();
    await waitFor("live status", () => screen().includes("● live"));
    for (let i = 0; i < 5; i++) gateway.send(finishedEvent({ requestId: `r${i}`, keyName: "alice" }));
    await waitFor("five rows", () => screen().includes("5 req)"));
    // The terminal shrinks at once; the program hears of it (SIGWINCH) only later, and on a
    // busy machine a frame laid out for 100 columns can reach the 50-column screen in between.
    tail.stdout.resize(50, 12, { silently: true });
    gateway.send(finishedEvent({ requestId: "r5", keyName: "bob" }));
    await waitFor("bob's row written for 100 columns", () => tail.output().includes("bob"));
    tail.stdout.deliverResize();
    const narrow = await waitForValue("the redraw at 50x12", () => {
      const text = screen();
      return /^TIME\s+KEY\s+MODEL\s+ROUTE\s+ST\s+TOTAL$/m.test(text) ? text : undefined;
    });
    // Exactly one fresh frame, from the top: no wrapped remains of the wider one.
    const lines = narrow.split("\n");
    expect(lines[0]).toMatch(/^mindgw tail .*● live$/);
    expect(lines[1]).toMatch(/^req\/s /);
    expect(lines[2]).toMatch(/^TIME /);
    expect(lines.slice(3, -1).every((line) => /^\d\d:\d\d:\d\d /.test(line))).toBe(true);
    expect(lines.slice(3, -1)).toHaveLength(6);
    expect(lines.at(-1)).toMatch(/^space pause/);
    // Growing back wipes the screen too; the whole frame comes back, not only its changed lines.
    tail.stdout.resize(100, 30);
    const wide = await waitForValue("the redraw at 100x30", () => {
      const text = screen();
      return /^TIME\s+KEY\s+MODEL\s+ROUTE\s+ST\s+TTFB\s+TOTAL\s+TOK IN\/OUT$/m.test(text) ? text : undefined;
    });
    expect(wide.split("\n")[0]).toMatch(/^mindgw tail .*● live$/);
    expect(wide.split("\n").filter((line) => /^\d\d:\d\d:\d\d /.test(line))).toHaveLength(6);
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
    // Back on the shell's screen, a resize leaves what is there alone.
    const afterExit = tail.stdout.frames.length;
    tail.stdout.resize(80, 24);
    expect(tail.stdout.frames.slice(afterExit)).toEqual([]);
  });

  test("a key that may tail but not read the workers (a tenant member's) is asked once: the pane says so, no refusal every few seconds", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const member = "mgw_member_key_0123456789";
    gateway.memberKeys.add(member);
    gateway.workers = [worker({ name: "gpu-east", lastHeartbeatAt: Date.now() })];
    // Workers asked for every 5 ms, the screen drawn at most every 10 ms.
    const tail = startInteractive(gateway.url, member, 5);
    await waitFor("live status", () => tail.output().includes("● live"));
    await waitFor("the workers read refused", () => (gateway.workersReads.get(member) ?? 0) >= 1);
    tail.stdin.write("w");
    await waitFor("the pane's note", () => tail.output().includes("workers: not visible to this credential"));
    // Ten requests drawn one after the other take ten frames, 90 ms at the least: the workers
    // would have been asked for some eighteen times more.
    for (let i = 0; i < 10; i++) {
      gateway.send(finishedEvent({ requestId: `r${i}`, keyName: `caller-${i}` }));
      await waitFor(`caller-${i} drawn`, () => tail.output().includes(`caller-${i}`));
    }
    expect(gateway.workersReads.get(member)).toBe(1);
    expect(tail.output()).not.toContain("no workers connected");
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
  });

  test("an unreachable gateway keeps retrying on screen until stopped", async () => {
    const gateway = new FakeGateway().start();
    await gateway.stop();
    const tail = startInteractive(gateway.url, "k");
    await waitFor("retry status", () => tail.output().includes("(connection refused)"));
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
  });

  test("the first stop signal takes all three back: a second, of any kind (a Ctrl-C after a SIGTERM), ends the process by its default", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const before = Object.fromEntries(STOP_SIGNALS.map((name) => [name, process.listenerCount(name)]));
    const others = process.listeners("SIGTERM");
    const tail = startInteractive(gateway.url, gateway.adminKey);
    await waitFor("live status", () => tail.output().includes("● live"));
    // As the signal would (listeners alone, no default action): the tail's quit runs, and with it
    // ink's own signal listeners go (its unmount). Only the listeners this tail added are called,
    // not process.emit: in the whole suite's one process other files' listeners (a gateway's stop,
    // which exits) would take the signal too, and end the run.
    for (const listener of process.listeners("SIGTERM")) if (!others.includes(listener)) listener("SIGTERM");
    const after = Object.fromEntries(STOP_SIGNALS.map((name) => [name, process.listenerCount(name)]));
    expect(after).toEqual(before);
    expect(await tail.exit).toBe(0);
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { waitFor } from "../testing/wait-for.ts";
import { TailApp } from "./app.tsx";
import { parseTailEvent, type TailEvent } from "./tail-event.ts";
import type { TailFilter } from "./tail-filter.ts";
import { TailStore } from "./tail-store.ts";
import { renderOnTerminal } from "./testing/fake-terminal.tsx";
import { finishedEvent, worker } from "./testing/fixtures.ts";

const plain = (text: string) => Bun.stripANSI(text);
const mounted: (() => void)[] = [];
afterEach(() => {
  for (const unmount of mounted.splice(0)) unmount();
});

function event(value: unknown): TailEvent {
  const parsed = parseTailEvent(JSON.stringify(value));
  if (parsed === null) throw new Error("bad fixture");
  return parsed.event;
}

function mount(initialFilter: TailFilter = {}, columns = 100, rows = 24) {
  const store = new TailStore();
  store.setStatus({ state: "live", since: Date.now() });
  const term = renderOnTerminal(
    <TailApp store={store} label="http://127.0.0.1:8080" initialFilter={initialFilter} flushMs={10} />,
    columns,
    rows,
  );
  mounted.push(term.unmount);
  const screen = () => plain(term.lastFrame());
  const until = (check: (text: string) => boolean, what: string) =>
    waitFor(what, () => check(screen()), 3000);
  const press = async (key: string, check: (text: string) => boolean, what: string) => {
    term.stdin.write(key);
    await until(check, what);
  };
  return { store, term, screen, until, press };
}

const finish = (requestId: string, over: Parameters<typeof finishedEvent>[0] = {}) =>
  event(finishedEvent({ requestId, ...over }));

describe("TailApp", () => {
  test("shows the connection, the header and rows as events arrive", async () => {
    const { store, until, screen } = mount();
    store.apply(finish("r1", { keyName: "alice", model: "gpt-4o", status: 200 }));
    store.apply(finish("r2", { keyName: "bob", model: "llama-3", status: 503, route: "worker:gpu1" }));
    await until((s) => s.includes("bob"), "rows");
    const text = screen();
    expect(text).toContain("● live");
    expect(text).toContain("req/s");
    expect(text).toMatch(/bob\s+llama-3\s+worker:gpu1\s+503/);
    // Newest first.
    expect(text.indexOf("bob")).toBeLessThan(text.indexOf("alice"));
  });

  test("space pauses: the table freezes and counts new events; space resumes", async () => {
    const { store, until, press, screen } = mount();
    store.apply(finish("r1", { keyName: "alice" }));
    await until((s) => s.includes("alice"), "first row");
    await press(" ", (s) => s.includes("PAUSED +0 new"), "paused");
    store.apply(finish("r2", { keyName: "carol" }));
    store.apply(finish("r3", { keyName: "carol" }));
    await until((s) => s.includes("PAUSED +2 new"), "new-event count");
    expect(screen()).not.toContain("carol");
    await press(" ", (s) => s.includes("carol") && !s.includes("PAUSED"), "resumed");
  });

  test("paused, the new count is of the requests resuming will add: one each, those the filter shows", async () => {
    const { store, until, press } = mount({ model: "m1" });
    store.apply(finish("r0", { keyName: "alice", model: "m1" }));
    await until((s) => s.includes("alice"), "first row");
    await press(" ", (s) => s.includes("PAUSED +0 new"), "paused");
    // One request as the gateway tells it: started, then finished.
    const at = Date.now();
    const start = { type: "request.started", at, keyName: "bob", frontDoor: "chat", stream: false };
    store.apply(event({ ...start, requestId: "r1", model: "m1" }));
    store.apply(finish("r1", { keyName: "bob", model: "m1", startedAt: at }));
    // One the filter leaves out, and one still in flight.
    store.apply(event({ ...start, requestId: "r2", model: "m2" }));
    store.apply(finish("r2", { keyName: "bob", model: "m2", startedAt: at }));
    store.apply(event({ ...start, requestId: "r3", model: "m1" }));
    await until((s) => s.includes("PAUSED +2 new"), "two requests the filter shows");
    await press(
      " ",
      (s) => !s.includes("PAUSED") && s.split("\n").filter((l) => l.includes("bob")).length === 2,
      "resumed",
    );
  });

  test("/ applies a filter on Enter and Esc cancels an edit", async () => {
    const { store, until, press, screen } = mount();
    store.apply(finish("r1", { keyName: "alice", status: 200 }));
    store.apply(finish("r2", { keyName: "bob", status: 502 }));
    await until((s) => s.includes("alice") && s.includes("bob"), "rows");
    await press("/", (s) => s.includes("filter>"), "prompt");
    for (const ch of "status:5xx")
      await press(ch, (s) => s.includes(`filter> ${"status:5xx".slice(0, 1)}`), "typing");
    await until((s) => s.includes("filter> status:5xx"), "typed text");
    await press("\r", (s) => !s.includes("filter>") && !s.includes("alice"), "filter applied");
    expect(screen()).toContain("bob");
    expect(screen()).toContain("[status:5xx]");
    await press("/", (s) => s.includes("filter> status:5xx"), "prompt with the current filter");
    await press("x", (s) => s.includes("status:5xxx"), "edit");
    await press("\u001b", (s) => !s.includes("filter>"), "cancelled");
    expect(screen()).toContain("[status:5xx]");
  });

  test("in a narrow pane the filter prompt keeps what is being typed in sight, its start giving way", async () => {
    const { press, screen } = mount({}, 40, 12);
    await press("/", (s) => s.includes("filter>"), "prompt");
    const typed = "model:a-very-long-model-name-that-goes-on";
    const promptLine = () =>
      screen()
        .split("\n")
        .find((line) => line.startsWith("filter>")) ?? "";
    await press(typed, () => promptLine().includes("goes-on"), "the end of the text");
    expect(promptLine()).toMatch(/^filter> …/);
    expect(promptLine().trimEnd().length).toBeLessThanOrEqual(40);
    await press("\r", (s) => !s.includes("filter>") && s.includes("[model:a-very-long"), "applied");
  });

  test("an invalid filter keeps the prompt open with the error", async () => {
    const { press } = mount();
    await press("/", (s) => s.includes("filter>"), "prompt");
    await press("colour:red", (s) => s.includes("colour:red"), "typed");
    await press("\r", (s) => s.includes("use model:, key:, status:, route: or app:"), "error shown");
  });

  test("the initial filter (from --model/--key/--status) applies", async () => {
    const { store, until, screen } = mount({ key: "bob" });
    store.apply(finish("r1", { keyName: "alice" }));
    store.apply(finish("r2", { keyName: "bob" }));
    await until((s) => s.includes("bob"), "rows");
    expect(screen()).not.toContain("alice");
  });

  test("arrows select and Enter opens the request detail; Esc closes it", async () => {
    const { store, until, press } = mount();
    store.apply(finish("req_old", { keyName: "alice", userAgent: "agent-old" }));
    store.apply(finish("req_new", { keyName: "bob", userAgent: "agent-new" }));
    await until((s) => s.includes("bob"), "rows");
    await press("\u001b[B", () => true, "down");
    await press("\u001b[B", () => true, "down");
    await press("\r", (s) => s.includes("request req_old"), "detail open");
    await until((s) => s.includes("upstreamModel") && !s.includes("agent-old"), "first detail fields");
    await press("\u001b[B", (s) => s.includes("(2-19 of 20)"), "detail scrolled");
    await press("\u001b[B", (s) => s.includes("agent-old"), "detail scrolled to the end");
    await press("\u001b", (s) => !s.includes("request req_old") && s.includes("TOK IN/OUT"), "detail closed");
    await press("\u001b[A", () => true, "up");
    await press("\r", (s) => s.includes("request req_new"), "detail of the newer row");
  });

  test("down pressed past the detail's end: the first up scrolls back at once", async () => {
    const { store, until, press } = mount();
    store.apply(finish("req_one", { keyName: "alice" }));
    await until((s) => s.includes("alice"), "row");
    await press("\u001b[B", () => true, "down");
    await press("\r", (s) => s.includes("(1-18 of 20)"), "detail open");
    for (let i = 0; i < 5; i++) await press("\u001b[B", () => true, "down in the detail");
    await until((s) => s.includes("(3-20 of 20)"), "at the end");
    await press("\u001b[A", (s) => s.includes("(2-19 of 20)"), "one up, one line back");
  });

  test("the detail of an in-flight request fills in when it finishes", async () => {
    const { store, until, press } = mount({}, 100, 40);
    store.apply(
      event({
        type: "request.started",
        at: 1,
        requestId: "req_live",
        keyName: "eve",
        model: "m",
        frontDoor: "chat",
        stream: true,
      }),
    );
    await until((s) => s.includes("eve"), "in-flight row");
    await press("\u001b[B", () => true, "down");
    await press("\r", (s) => s.includes("request req_live (in flight)"), "in-flight detail");
    // Its record, as the gateway sends it: the start its started event gave.
    store.apply(finish("req_live", { keyName: "eve", startedAt: 1, userAgent: "agent-live" }));
    await until((s) => s.includes("agent-live") && !s.includes("(in flight)"), "finished detail");
  });

  test("a request in flight when the stream dropped reads ? once live again, not in flight for ever; a finish that still comes mends it", async () => {
    const { store, until, press } = mount();
    const start = { type: "request.started", at: 1, keyName: "eve", frontDoor: "chat", stream: true };
    store.apply(event({ ...start, requestId: "req_gap", model: "m-gap" }));
    await until((s) => /m-gap\s+…\s+…/.test(s), "in flight");
    store.setStatus({
      state: "reconnecting",
      retryAt: Date.now() + 1000,
      attempt: 1,
      reason: "connection refused",
    });
    store.setStatus({ state: "live", since: Date.now() });
    await until((s) => /m-gap\s+…\s+\?/.test(s), "its end unknown");
    await press("\u001b[B", () => true, "down");
    await press(
      "\r",
      (s) => s.includes("request req_gap (in flight when the event stream dropped"),
      "said so",
    );
    await press("\u001b", (s) => !s.includes("request req_gap"), "closed");
    // Still in flight across a drop (a proxy cut the stream, not a restart): its finish comes after.
    store.apply(finish("req_gap", { keyName: "eve", model: "m-gap", startedAt: 1, status: 200 }));
    await until((s) => /m-gap\s+\S+\s+200/.test(s) && !s.includes("?"), "finished in place");
  });

  test("a request in flight when the gateway dropped events for this reader (events.missed) reads ?, not in flight for ever: its finish may have been one of them; a finish that still comes mends it", async () => {
    const { store, until, press } = mount();
    const start = { type: "request.started", at: 1, keyName: "eve", frontDoor: "chat", stream: true };
    store.apply(event({ ...start, requestId: "req_lost", model: "m-lost" }));
    await until((s) => /m-lost\s+…\s+…/.test(s), "in flight");
    // The gateway lost the oldest events this reader had not taken, and said how many; the stream
    // stayed up (the reader caught up within the gateway's bound), so no reconnect marks the gap.
    store.apply(event({ type: "events.missed", at: 2, count: 1200 }));
    // A request that starts after the gap has its finish still to come: it stays in flight.
    store.apply(event({ ...start, at: 3, requestId: "req_after", model: "m-after" }));
    await until((s) => /m-lost\s+…\s+\?/.test(s) && /m-after\s+…\s+…/.test(s), "its end unknown");
    await press("\u001b[B", () => true, "down");
    await press("\u001b[B", () => true, "down");
    await press(
      "\r",
      (s) => s.includes("request req_lost (in flight when the gateway dropped events for this tail"),
      "said so",
    );
    await press("\u001b", (s) => !s.includes("request req_lost"), "closed");
    store.apply(finish("req_lost", { keyName: "eve", model: "m-lost", startedAt: 1, status: 200 }));
    await until((s) => /m-lost\s+\S+\s+200/.test(s) && !/m-lost.*\?/.test(s), "finished in place");
  });

  test("the admin API's own calls are left out, rows and figures, until a shows them", async () => {
    const { store, until, press, screen } = mount();
    store.apply(finish("ui-poll", { keyName: "bootstrap-admin", frontDoor: "admin", model: null }));
    store.apply(finish("app", { keyName: "alice", frontDoor: "chat", status: 200 }));
    await until((s) => s.includes("alice"), "the model call's row");
    expect(screen()).not.toContain("bootstrap-admin");
    expect(screen()).toContain("(last 1m, 1 req)");
    await press("a", (s) => s.includes("bootstrap-admin") && s.includes("[+admin]"), "admin calls shown");
    expect(screen()).toContain("(last 1m, 2 req)");
    await press("a", (s) => !s.includes("bootstrap-admin") && !s.includes("[+admin]"), "hidden again");
  });

  test("in a 60-column pane a restart notice still names its setting; an edit undoing it clears it", async () => {
    const { store, until, screen } = mount({}, 60, 20);
    const restartOnly = { type: "config.restart_required", at: Date.now(), version: 1 };
    store.apply(event({ ...restartOnly, restartRequired: ["server.idle_timeout"] }));
    await until((s) => s.includes("restart required for: server.idle_timeout"), "the notice");
    for (const line of screen().split("\n")) expect(line.length).toBeLessThanOrEqual(60);
    store.apply(event({ type: "config.restored", at: Date.now(), version: 1 }));
    await until((s) => !s.includes("restart required"), "the notice cleared");
  });

  test("w toggles the workers pane", async () => {
    const { store, until, press } = mount();
    store.setWorkers([worker({ name: "gpu-box-1", lastHeartbeatAt: Date.now() })]);
    store.apply(event({ type: "worker.connected", at: 1, worker: worker({ id: "w2", name: "gpu-box-2" }) }));
    await until((s) => s.includes("● live"), "first frame");
    await press("w", (s) => s.includes("WORKERS (2)") && s.includes("gpu-box-1"), "pane shown");
    await press("w", (s) => !s.includes("WORKERS"), "pane hidden");
  });

  test("in a short pane the workers pane gives way: the frame stays a line short of the screen, the footer kept", async () => {
    const { store, until, press, screen } = mount({}, 100, 10);
    const now = Date.now();
    store.setWorkers(
      Array.from({ length: 8 }, (_, i) =>
        worker({ id: `w${i}`, name: `gpu-box-${i}`, lastHeartbeatAt: now }),
      ),
    );
    store.apply(finish("r1", { keyName: "alice" }));
    await until((s) => s.includes("alice"), "row");
    await press("w", (s) => s.includes("WORKERS (8)"), "pane shown");
    const lines = screen().trimEnd().split("\n");
    expect(lines.length).toBeLessThan(10);
    expect(lines[0]).toContain("● live");
    expect(lines.at(-1)).toContain("space pause");
    expect(screen()).toContain("more");
  });

  test("follows resizes: every line fits the new width", async () => {
    const { store, term, until, screen } = mount({}, 120, 30);
    store.apply(
      finish("r1", {
        model: "a-rather-long-model-name-for-the-table",
        route: "worker:gpu-box-with-long-name",
      }),
    );
    await until((s) => s.includes("a-rather-long-model-name-for-"), "wide row");
    term.resize(50, 20);
    await until((s) => !s.includes("a-rather-long-model-name-for-") && s.includes("a-rather"), "narrow");
    for (const line of screen().split("\n")) expect(line.length).toBeLessThanOrEqual(50);
    expect(screen().split("\n").length).toBeLessThan(20);
  });

  test("in a narrow pane the connection's state and why are kept whole; the gateway's address gives way", async () => {
    const { store, term, until, screen } = mount({}, 50, 12);
    const retryAt = Date.now() + 60_000;
    store.setStatus({ state: "reconnecting", retryAt, attempt: 2, reason: "connection refused" });
    const firstLine = () => screen().split("\n")[0] ?? "";
    await until(() => /reconnecting in \d+s \(connection refused\)$/.test(firstLine()), "state and reason");
    expect(firstLine()).toContain("http://");
    term.resize(36, 12);
    store.setStatus({ state: "live", since: Date.now() });
    await until(() => /● live$/.test(firstLine()), "live at 36 columns");
    for (const line of screen().split("\n")) expect(line.length).toBeLessThanOrEqual(36);
  });

  test("a burst of 10,000 events is drawn in a handful of frames, bounded rows", async () => {
    const { store, term, until, screen } = mount();
    await until((s) => s.includes("● live"), "first frame");
    const before = term.frames.length;
    for (let i = 0; i < 10_000; i++) store.apply(finish(`r${i}`, { keyName: `k${i}` }));
    await until((s) => s.includes("k9999"), "last event drawn");
    expect(term.frames.length - before).toBeLessThan(10);
    expect(store.rows().length).toBe(2000);
    expect(screen()).toContain("10000 req");
  });

  test("q quits", async () => {
    const { term, until } = mount();
    await until((s) => s.includes("● live"), "first frame");
    term.stdin.write("q");
    await term.waitUntilExit();
  });
});

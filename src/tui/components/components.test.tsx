import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import chalk from "chalk";
import { render } from "ink-testing-library";
import { auditRecord } from "../../audit/testing/audit-record.ts";
import { DEFAULT_HEARTBEATS, heartbeatBounds } from "../heartbeat-bounds.ts";
import { layoutColumns } from "../table-layout.ts";
import type { RequestRow, WorkerRow } from "../tail-store.ts";
import { worker } from "../testing/fixtures.ts";
import { ConnectionLine } from "./connection-line.tsx";
import { DetailView } from "./detail-view.tsx";
import { FilterPrompt } from "./filter-prompt.tsx";
import { Footer } from "./footer.tsx";
import { Header } from "./header.tsx";
import { RequestTable } from "./request-table.tsx";
import { WorkersPane } from "./workers-pane.tsx";

// Tests do not run on a terminal, so ink's colour library starts with colours off.
const savedLevel = chalk.level;
beforeAll(() => {
  chalk.level = 1;
});
afterAll(() => {
  chalk.level = savedLevel;
});

const ESC = "\u001b";
const GREEN = `${ESC}[32m`;
const YELLOW = `${ESC}[33m`;
const RED = `${ESC}[31m`;
const GRAY = `${ESC}[90m`;
const plain = (text: string | undefined) => Bun.stripANSI(text ?? "");

/** Each row its own `seq`, as the store numbers them. */
let rowsMade = 0;

function row(requestId: string, status: number | null, over: Partial<RequestRow> = {}): RequestRow {
  const record = status === null ? null : auditRecord({ requestId, status });
  return {
    seq: rowsMade++,
    requestId,
    startedAt: 1_700_000_000_000,
    keyId: "key_1",
    keyName: "alice",
    model: "gpt-4o",
    route: status === null ? null : "worker:gpu1",
    app: null,
    status,
    ttfbMs: status === null ? null : 85,
    latencyMs: status === null ? null : 1420,
    inputTokens: 12,
    outputTokens: 34,
    record,
    admin: false,
    ...over,
  };
}

describe("RequestTable", () => {
  test("rows with titles, values and status colours by class", () => {
    const rows = [row("a", 200), row("b", 429), row("c", 503), row("d", null)];
    const { lastFrame } = render(<RequestTable rows={rows} columns={layoutColumns(100)} selected={null} />);
    const frame = lastFrame() ?? "";
    const lines = plain(frame).split("\n");
    expect(lines[0]).toMatch(/TIME\s+KEY\s+MODEL\s+ROUTE\s+ST\s+TTFB\s+TOTAL\s+TOK IN\/OUT/);
    expect(lines[1]).toMatch(/alice\s+gpt-4o\s+worker:gpu1\s+200\s+85ms\s+1.42s\s+12\/34/);
    expect(lines[4]).toContain("…");
    expect(frame).toContain(`${GREEN} 200`);
    expect(frame).toContain(`${YELLOW} 429`);
    expect(frame).toContain(`${RED} 503`);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
  });

  test("narrow widths truncate instead of wrapping", () => {
    const rows = [row("a", 200, { model: "a-very-long-model-name-that-will-not-fit" })];
    const { lastFrame } = render(<RequestTable rows={rows} columns={layoutColumns(40)} selected={null} />);
    const lines = plain(lastFrame()).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("a-very-");
    expect(lines[1]).toContain("…");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
  });

  test("the selected row is drawn inverse", () => {
    const rows = [row("a", 200), row("b", 200)];
    const { lastFrame } = render(
      <RequestTable rows={rows} columns={layoutColumns(100)} selected={rows[1]?.seq ?? null} />,
    );
    const lines = (lastFrame() ?? "").split("\n");
    expect(lines[2]).toContain(`${ESC}[7m`);
    expect(lines[1]).not.toContain(`${ESC}[7m`);
  });

  test("requests that share a request id are lines of their own, one selected alone", () => {
    const rows = [row("job-42", 200, { keyName: "alice" }), row("job-42", 502, { keyName: "bob" })];
    const { lastFrame } = render(
      <RequestTable rows={rows} columns={layoutColumns(100)} selected={rows[1]?.seq ?? null} />,
    );
    const lines = (lastFrame() ?? "").split("\n");
    expect(lines).toHaveLength(3);
    expect([plain(lines[1]), plain(lines[2])]).toEqual([
      expect.stringContaining("alice"),
      expect.stringContaining("bob"),
    ]);
    expect(lines[1]).not.toContain(`${ESC}[7m`);
    expect(lines[2]).toContain(`${ESC}[7m`);
  });
});

describe("Header and status lines", () => {
  test("header shows the window figures", () => {
    const stats = {
      count: 120,
      requestsPerSec: 2,
      errorRate5xx: 0.025,
      errorRate4xx: 0.1,
      p50Ms: 120,
      p95Ms: 900,
      tokensPerSec: 340,
    };
    const text = plain(render(<Header stats={stats} />).lastFrame());
    for (const part of [
      "req/s 2.0",
      "5xx 2.5%",
      "4xx 10.0%",
      "p50 120ms",
      "p95 900ms",
      "tok/s 340",
      "120 req",
    ]) {
      expect(text).toContain(part);
    }
  });

  test("connection states", () => {
    const now = 1_000_000;
    const line = (status: Parameters<typeof ConnectionLine>[0]["status"]) =>
      plain(render(<ConnectionLine label="http://gw:8080" status={status} now={now} />).lastFrame());
    expect(line({ state: "live", since: now })).toContain("● live");
    expect(line({ state: "connecting", attempt: 1 })).toContain("connecting");
    expect(
      line({ state: "reconnecting", retryAt: now + 2500, attempt: 2, reason: "connection refused" }),
    ).toContain("reconnecting in 3s (connection refused)");
    expect(line({ state: "error", message: "boom" })).toContain("error: boom");
  });

  test("footer shows PAUSED with the count of new events, the filter and notices", () => {
    const text = plain(
      render(
        <Footer
          paused
          newSincePause={17}
          filter={{ model: "gpt-4o" }}
          showAdmin
          missed={3}
          notice="config v2 reloaded"
          unanswered={null}
        />,
      ).lastFrame(),
    );
    expect(text).toContain("PAUSED +17 new");
    expect(text).toContain("[model:gpt-4o]");
    expect(text).toContain("[+admin]");
    expect(text).toContain("3 events missed");
    expect(text).toContain("config v2 reloaded");
    const live = plain(
      render(
        <Footer
          paused={false}
          newSincePause={0}
          filter={{}}
          showAdmin={false}
          missed={0}
          notice={null}
          unanswered="node gone-1 did not answer"
        />,
      ).lastFrame(),
    );
    expect(live).toContain("node gone-1 did not answer");
    expect(live).not.toContain("PAUSED");
    expect(live).not.toContain("[+admin]");
  });

  test("filter prompt shows the text and, when invalid, the error", () => {
    expect(plain(render(<FilterPrompt text="model:x" error={null} />).lastFrame())).toContain(
      "filter> model:x",
    );
    expect(plain(render(<FilterPrompt text="bad" error="use model:" />).lastFrame())).toContain("use model:");
    // The hint names every field the prompt takes, app: included.
    expect(plain(render(<FilterPrompt text="" error={null} />).lastFrame())).toContain(
      "model: key: status: route: app: · Enter applies",
    );
  });
});

describe("DetailView", () => {
  test("lists every audit record field", () => {
    const r = row("req_9", 200);
    const text = plain(render(<DetailView row={r} width={100} height={40} offset={0} />).lastFrame());
    for (const field of Object.keys(r.record ?? {})) expect(text).toContain(field);
    expect(text).toContain("request req_9");
    expect(text).toContain("provider:openai");
    expect(text).toContain("Esc or Enter closes");
  });

  test("a failed request's message, each attempt on its line, what was dropped, the nodes", () => {
    const record = auditRecord({
      requestId: "req_5",
      status: 502,
      errorClass: "upstream_error",
      errorMessage: "could not reach upstream dead",
      dropped: "tools.web_search",
      node: "gw-a",
      servedNode: "gw-b",
      attempts: [
        {
          route: "provider:dead",
          upstreamModel: "m",
          outcome: "failed",
          status: 502,
          errorClass: "upstream_error",
          durationMs: 12,
        },
        {
          route: "provider:alt",
          upstreamModel: "m2",
          outcome: "failed",
          status: 504,
          errorClass: "upstream_timeout",
          durationMs: 1500,
        },
      ],
    });
    const r = row("req_5", 502, { record });
    const text = plain(render(<DetailView row={r} width={100} height={40} offset={0} />).lastFrame());
    expect(text).toMatch(/errorMessage +could not reach upstream dead/);
    expect(text).toMatch(/attempt 1 +provider:dead m failed 502 upstream_error 12ms/);
    expect(text).toMatch(/attempt 2 +provider:alt m2 failed 504 upstream_timeout 1\.50s/);
    expect(text).toMatch(/dropped +tools\.web_search/);
    expect(text).toMatch(/servedNode +gw-b/);
  });

  test("a value longer than the line goes on under it, whole: the message the client was told", () => {
    const words = "upstream fake answered 500: the model server ran out of memory while loading weights; ";
    const message = `${words.repeat(3)}END-OF-MESSAGE`;
    const r = row("req_6", 500, {
      record: auditRecord({ requestId: "req_6", status: 500, errorMessage: message }),
    });
    const lines = plain(render(<DetailView row={r} width={80} height={60} offset={0} />).lastFrame()).split(
      "\n",
    );
    const at = lines.findIndex((line) => line.startsWith("errorMessage"));
    const after = lines.slice(at + 1);
    const more = after.findIndex((line) => !line.startsWith(" "));
    const shown = [lines[at], ...after.slice(0, more)].join("").replace("errorMessage", "");
    const bare = (text: string) => text.replaceAll(/\s+/g, "");
    expect(bare(shown)).toBe(bare(message));
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    // Its lines count in the scroll: the last page ends with the record's last field.
    const end = plain(render(<DetailView row={r} width={80} height={6} offset={99} />).lastFrame());
    expect(end).toMatch(/↑↓ scroll \(\d+-(\d+) of \1\)/);
  });

  test("scrolls when taller than its room", () => {
    const r = row("req_9", 200);
    const text = plain(render(<DetailView row={r} width={100} height={6} offset={99} />).lastFrame());
    expect(text).toContain("userAgent");
    expect(text).not.toContain("requestId");
    expect(text).toMatch(/↑↓ scroll \(\d+-20 of 20\)/);
  });

  test("an in-flight request shows what is known", () => {
    const text = plain(
      render(<DetailView row={row("req_7", null)} width={80} height={20} offset={0} />).lastFrame(),
    );
    expect(text).toContain("(in flight)");
    expect(text).toContain("alice");
  });
});

describe("WorkersPane", () => {
  /** The gateway's default heartbeat timing, the list read every 5 s. */
  const heartbeats = heartbeatBounds(DEFAULT_HEARTBEATS, 5_000);

  test("name, models, load and health", () => {
    const now = 1_700_000_100_000;
    const workers: WorkerRow[] = [
      {
        ...worker({ id: "1", name: "gpu1", inFlight: 3, capacity: 8, lastHeartbeatAt: now - 1000 }),
        gone: null,
      },
      {
        // Its model server keeps failing: out of rotation for 30 s more, as the workers list says.
        ...worker({ id: "6", name: "gpu6", lastHeartbeatAt: now - 1000 }),
        ejectedUntil: now + 30_000,
        gone: null,
      },
      {
        ...worker({ id: "2", name: "gpu2", models: ["a", "b"], lastHeartbeatAt: now - 60_000 }),
        gone: null,
      },
      {
        ...worker({ id: "4", name: "gpu4", inFlight: 2, draining: true, lastHeartbeatAt: now - 1000 }),
        gone: null,
      },
      {
        ...worker({ id: "5", name: "gpu5", draining: true }),
        gone: { how: "left", reason: "its key permits none of its models" },
      },
      { ...worker({ id: "3", name: "gpu3" }), gone: { how: "lost", reason: "heartbeat timeout" } },
    ];
    const frame =
      render(
        <WorkersPane workers={workers} now={now} width={100} maxRows={5} heartbeats={heartbeats} />,
      ).lastFrame() ?? "";
    const text = plain(frame);
    expect(text).toContain("WORKERS (6)");
    expect(text).toMatch(/gpu1\s+llama-3-8b\s+3\/8 ok/);
    expect(text).toMatch(/gpu6\s+llama-3-8b\s+1\/8 out 30s/);
    expect(text).toMatch(/gpu2\s+a,b\s+1\/8 stale 60s/);
    expect(text).toMatch(/gpu4\s+llama-3-8b\s+2\/8 draining/);
    // Gone: why, in place of the models it no longer serves (the Workers page's reason).
    expect(text).toMatch(/gpu5\s+its key permits none of its models\s+1\/8 left/);
    expect(text).toContain("+1 more");
    expect(frame).toContain(`${GREEN}ok`);
    expect(frame).toContain(`${RED}stale`);
    expect(frame).toContain(`${RED}out 30s`);
    expect(frame).toContain(`${YELLOW}draining`);
    expect(frame).toContain(`${GRAY}left`);
  });

  test("a platform worker read by an admin in a tenant: its capacity alone, no figure it was not given", () => {
    const now = 1_700_000_100_000;
    const { inFlight: _, ...shared } = worker({
      id: "1",
      name: "shared",
      capacity: 8,
      lastHeartbeatAt: now - 1000,
    });
    const text = plain(
      render(
        <WorkersPane
          workers={[{ ...shared, gone: null }]}
          now={now}
          width={100}
          maxRows={5}
          heartbeats={heartbeats}
        />,
      ).lastFrame(),
    );
    expect(text).toMatch(/shared\s+llama-3-8b\s+–\/8 ok/);
    expect(text).not.toContain("undefined");
  });

  test("empty", () => {
    expect(
      plain(
        render(
          <WorkersPane workers={[]} now={0} width={80} maxRows={5} heartbeats={heartbeats} />,
        ).lastFrame(),
      ),
    ).toContain("no workers connected");
  });

  test("not read yet: said so, not that none is connected", () => {
    const frame = render(
      <WorkersPane workers={[]} now={0} width={80} maxRows={5} read={false} heartbeats={heartbeats} />,
    ).lastFrame();
    expect(plain(frame)).toContain("reading the workers list…");
    expect(plain(frame)).not.toContain("no workers connected");
  });

  test("its reads failed before any answered: said so, not that it is being read nor that none is connected", () => {
    const frame = plain(
      render(
        <WorkersPane
          workers={[]}
          now={0}
          width={80}
          maxRows={5}
          read={false}
          unread
          heartbeats={heartbeats}
        />,
      ).lastFrame(),
    );
    expect(frame).toContain("workers list not read: asking again");
    expect(frame).not.toContain("reading the workers list");
  });

  test("refused to this credential: said so, not that none is connected", () => {
    const frame = render(
      <WorkersPane workers={[]} now={0} width={80} maxRows={5} visible={false} heartbeats={heartbeats} />,
    ).lastFrame();
    expect(plain(frame)).toContain("workers: not visible to this credential");
    expect(plain(frame)).not.toContain("no workers connected");
  });
});

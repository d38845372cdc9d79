import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(180_000);

// A --gateway (or a proxy before it) that sends an answer's headers and then holds its body open:
// the admin commands bounded the headers alone (30 s), and then waited on the JSON for ever.

const fx = gatewayFixture({ gateway: false, fake: null });
const ADMIN_KEY = "mgw_stallstallstallstallstallstallstallstallst";

/** An HTTP/1.1 answer's head, its body sent by chunks (`chunk`, then `LAST_CHUNK`). */
const head = (status: string, type = "application/json") =>
  `HTTP/1.1 ${status}\r\ncontent-type: ${type}\r\ntransfer-encoding: chunked\r\n\r\n`;
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const LAST_CHUNK = "0\r\n\r\n";

/**
 * A server that answers each connection's request on the wire as `script` says: each step's bytes
 * written `at` ms after the request came (headers late, a body by parts), the connection ended
 * after the last step, or held open (`then: "hold"`). The answer's pace is what these tests are
 * about, so it is scripted in time.
 */
function scripted(script: readonly { at: number; bytes: string }[], then: "end" | "hold" = "end"): string {
  const answered = new WeakSet<object>();
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        if (answered.has(socket)) return;
        answered.add(socket);
        for (const [step, { at, bytes }] of script.entries())
          setTimeout(() => {
            socket.write(bytes);
            if (step === script.length - 1 && then === "end") socket.end();
          }, at);
      },
    },
  });
  fx.deferTest(() => server.stop(true));
  return `http://127.0.0.1:${server.port}`;
}

describe("an admin answer whose body stalls or is cut short", () => {
  test("keys, tenants, audit query and shadow report: exit 1 within the bound, one line saying so, nothing on stdout; an answer whose body comes within the bound of its headers, or by parts each within it, is read", async () => {
    // Each command's answer starts, then stalls: its headers and a first part of the JSON.
    const stalling = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: () =>
        new Response(
          new ReadableStream({
            start: (controller) => controller.enqueue(new TextEncoder().encode('{"keys":[')),
          }),
          { headers: { "content-type": "application/json" } },
        ),
    });
    fx.deferTest(() => stalling.stop(true));
    const gateway = `http://127.0.0.1:${stalling.port}`;
    const commands = [
      ["keys", "list"],
      ["keys", "create", "--name", "n", "--role", "user"],
      ["tenants"],
      ["audit", "query"],
      ["shadow", "report"],
    ];
    const stalled = {
      code: 1,
      stdout: "",
      stderr: `mindgw: the gateway at ${gateway} began its answer, then sent nothing for 30 s\n`,
    };
    const runs = commands.map((command) => ({ args: [...command, "--gateway", gateway], expected: stalled }));
    const tenantsRead = { code: 0, stdout: "no tenants configured\n", stderr: "" };
    // Headers at 20 s, the body 15 s after them: the bound counted from the request, not the
    // headers, cut it at 30 s as "sent nothing for 30 s".
    const lateHeaders = scripted([
      { at: 20_000, bytes: head("200 OK") },
      { at: 35_000, bytes: chunk('{"tenants":[]}') + LAST_CHUNK },
    ]);
    // Parts every 10 s for 40 s, never 30 s apart: the bound is silence, restarted at each part.
    const trickling = scripted([
      { at: 0, bytes: head("200 OK") },
      ...['{"tenants"', ":[", "]", "}"].map((part, n) => ({ at: (n + 1) * 10_000, bytes: chunk(part) })),
      { at: 40_000, bytes: LAST_CHUNK },
    ]);
    runs.push(
      { args: ["tenants", "--gateway", lateHeaders], expected: tenantsRead },
      { args: ["tenants", "--gateway", trickling], expected: tenantsRead },
    );
    // At once: each waits out the 30 s bound. Killed past 150 s, which is the hang this test finds.
    const results = await Promise.all(
      runs.map(({ args }) => runMindgw([...args, "--admin-key", ADMIN_KEY], { timeoutMs: 150_000 })),
    );
    expect(results.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual(
      runs.map(({ expected }) => expected),
    );
  });

  test("one cut short (the connection closed before its length): exit 1, saying so, never that the gateway is none", async () => {
    // It said "http://… did not answer like a mindgw gateway", as for a body that is no JSON.
    const cutting = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          socket.write(
            'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"keys":[',
          );
          socket.end();
        },
      },
    });
    fx.deferTest(() => cutting.stop(true));
    const gateway = `http://127.0.0.1:${cutting.port}`;
    for (const command of [["keys", "list"], ["tenants"], ["audit", "query"]]) {
      const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", ADMIN_KEY]);
      expect({ command, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        command,
        code: 1,
        stdout: "",
        stderr: `mindgw: the gateway at ${gateway} began its answer, then cut it short (connection closed)\n`,
      });
    }
  });

  test("an error (a proxy's 502, a 404) whose page stalls or breaks: said by its status within the bound, exit 1, audit export's too; one whose page comes by parts is read", async () => {
    // The error's page was read unbounded: audit export, whose answer is a stream, waited for ever.
    const stalling = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: () =>
        new Response(
          new ReadableStream({
            start: (controller) => controller.enqueue(new TextEncoder().encode("<html><body>Bad gateway")),
          }),
          { status: 502, headers: { "content-type": "text/html" } },
        ),
    });
    fx.deferTest(() => stalling.stop(true));
    const gateway = `http://127.0.0.1:${stalling.port}`;
    const commands = [
      ["audit", "export"],
      ["keys", "list"],
    ];
    const saidByStatus = (status: number) => ({
      code: 1,
      stdout: "",
      stderr: `mindgw: gateway refused: HTTP ${status}\n`,
    });
    const runs = commands.map((command) => ({
      args: [...command, "--gateway", gateway],
      expected: saidByStatus(502),
    }));
    // A gateway's error whose page comes by parts every 10 s for 40 s: read whole, as a 2xx's body
    // is, under a silence bound restarted at each part (it was cut at 30 s, said by its status).
    const page = '{"error":{"message":"upstream down"}}';
    const tricklingError = scripted([
      { at: 0, bytes: head("502 Bad Gateway") },
      ...[0, 10, 20, 30].map((from, n) => ({
        at: (n + 1) * 10_000,
        bytes: chunk(page.slice(from, from + 10)),
      })),
      { at: 40_000, bytes: LAST_CHUNK },
    ]);
    const readPage = { code: 1, stdout: "", stderr: "mindgw: gateway refused: upstream down\n" };
    // A gateway's own 404 whose page stalls or breaks: an unread page is no proof of another server
    // (it was read as {} and said "serves no /admin/api/…", exit 2).
    const stalled404 = scripted([{ at: 0, bytes: head("404 Not Found") + chunk('{"error":') }], "hold");
    const broken404 = scripted([
      {
        at: 0,
        bytes:
          'HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"error":',
      },
    ]);
    runs.push(
      { args: ["audit", "export", "--gateway", tricklingError], expected: readPage },
      { args: ["keys", "list", "--gateway", tricklingError], expected: readPage },
      { args: ["keys", "list", "--gateway", stalled404], expected: saidByStatus(404) },
      { args: ["keys", "show", "k", "--gateway", broken404], expected: saidByStatus(404) },
    );
    const results = await Promise.all(
      runs.map(({ args }) => runMindgw([...args, "--admin-key", ADMIN_KEY], { timeoutMs: 150_000 })),
    );
    expect(results.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual(
      runs.map(({ expected }) => expected),
    );
  });

  test("audit export: a stream quiet for a while is read whole; one quiet past the export's bound (MINDGW_EXPORT_SILENCE_MS here, five minutes by default: src/cli/admin-stream.test.ts) ends it, exit 1, saying so", async () => {
    // An export's stream had no bound at all: one held open (a proxy's, a gateway's lost) hung the
    // command for ever. The bound is lowered to 5 s so that this runs in seconds, not minutes.
    const env = { MINDGW_EXPORT_SILENCE_MS: "5000" };
    const NDJSON = "application/x-ndjson";
    const line = (n: number) => `{"requestId":"r${n}"}\n`;
    // Rows 1 s apart: within the bound.
    const quiet = scripted([
      { at: 0, bytes: head("200 OK", NDJSON) + chunk(line(1)) },
      { at: 1_000, bytes: chunk(line(2)) + LAST_CHUNK },
    ]);
    const stalled = scripted([{ at: 0, bytes: head("200 OK", NDJSON) + chunk(line(1)) }], "hold");
    const runs = [
      { gateway: quiet, expected: { code: 0, stdout: line(1) + line(2), stderr: "" } },
      {
        gateway: stalled,
        expected: {
          code: 1,
          stdout: line(1),
          stderr: `mindgw: the gateway at ${stalled} began its answer, then sent nothing for 5 s\n`,
        },
      },
    ];
    // Killed past 60 s, which is the hang this test finds.
    const results = await Promise.all(
      runs.map(({ gateway }) =>
        runMindgw(["audit", "export", "--gateway", gateway, "--admin-key", ADMIN_KEY], {
          env,
          timeoutMs: 60_000,
        }),
      ),
    );
    expect(results.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual(
      runs.map(({ expected }) => expected),
    );
  });
});

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawConnection } from "../../../test/e2e/harness/raw-connection.ts";
import { buildLargeLog } from "../../audit/testing/large-log.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../config/load-config.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";
import { waitFor } from "../../testing/wait-for.ts";

// A narrow filter over a large log reads page after page of rows it does not send: an export may
// rightly go quiet longer than server.idle_timeout, and `mindgw audit export` waits five minutes
// for it (cli/admin-stream.ts). The gateway closed such an export's connection at idle_timeout
// itself, and the command said it was cut short.

const dir = mkdtempSync(join(tmpdir(), "mindgw-export-quiet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An answer's end on the wire (chunked). */
const ended = (received: string) => received.endsWith("0\r\n\r\n");

test("an export quiet past server.idle_timeout keeps its connection; once read whole, the connection idles under idle_timeout again", async () => {
  const path = join(dir, "gw.db");
  // Two pages (1000 rows a page): the second page's read is held, as a slow one over a large log.
  buildLargeLog(path, { rows: 1_500, startMs: Date.now() - 60_000 });
  const storage = openSqliteStorage(path);
  const select = storage.audit.select.bind(storage.audit);
  const secondPage = Promise.withResolvers<void>();
  let secondAsked = false;
  storage.audit.select = async (filter, after, limit) => {
    if (after !== null) {
      secondAsked = true;
      await secondPage.promise;
    }
    return select(filter, after, limit);
  };
  const config = parseConfig({ ...EMBEDDED_DEFAULTS, storage: { path }, server: { idle_timeout: "5s" } });
  const { gateway, adminKey } = await recordingGateway(config, undefined, { storage });
  const { port } = gateway.listen("127.0.0.1", 0);
  const exporting = await rawConnection(port);
  const witness = await rawConnection(port);
  try {
    exporting.socket.write(
      `GET /admin/api/audit/export HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${adminKey}\r\n\r\n`,
    );
    await waitFor(
      "the first page sent, the second read held",
      () => secondAsked && exporting.state.received.includes('"requestId"'),
      30_000,
    );
    // A connection answered after the export last wrote, then left idle: once the gateway closes
    // it, the export has been as quiet for longer than idle_timeout (Bun's one 4 s tick for both).
    witness.socket.write("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n");
    await waitFor("the idle connection closed at idle_timeout", () => witness.state.closed, 30_000);
    expect(exporting.state.closed).toBe(false);
    secondPage.resolve();
    await waitFor(
      "the export read whole",
      () => ended(exporting.state.received) || exporting.state.closed,
      30_000,
    );
    expect(ended(exporting.state.received)).toBe(true);
    // Kept alive after its answer, its connection is not held as the export was.
    await waitFor(
      "the connection closed at idle_timeout after the export",
      () => exporting.state.closed,
      30_000,
    );
  } finally {
    secondPage.resolve();
    exporting.socket.end();
    witness.socket.end();
    await gateway.stop();
  }
}, 120_000);

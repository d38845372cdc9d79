import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A body still uploading when a stop's drain deadline passes is a call whose answer has not
// begun: it gets the drain's 503 and its row says so, as any such call's (docs/RELIABILITY.md),
// where its read went on until the listener closed its connection, recorded as a client that
// left (499), and the stop waited its final two seconds for it.

const dir = mkdtempSync(join(tmpdir(), "mindgw-upload-drain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a body still uploading at the drain deadline: the drain's 503 to its client and in its row", async () => {
  const { gateway, adminKey, finished } = await recordingGateway(
    parseConfig({
      ...EMBEDDED_DEFAULTS,
      storage: { path: join(dir, "gw.db") },
      server: { drain_timeout: "200ms" },
    }),
  );
  const { port } = gateway.listen("127.0.0.1", 0);
  let received = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        received += data.toString();
      },
    },
  });
  // Half the body it declares: the gateway waits for the rest.
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`,
  );
  const inFlight = async () => {
    const status = await gateway.handle(
      new Request("http://localhost/admin/api/status", { headers: { authorization: `Bearer ${adminKey}` } }),
    );
    return ((await status.json()) as { inFlight: number }).inFlight;
  };
  // The upload is in flight (the status read is the other one).
  await waitForValue("the upload in flight", async () => (await inFlight()) >= 2);
  const began = performance.now();
  await gateway.stop();
  // Not its final flush's two seconds (serve-gateway.ts FINAL_FLUSH_MS), past the drain's 200 ms.
  expect(performance.now() - began).toBeLessThan(2_000);
  const row = await waitForValue("the upload's row", () =>
    finished.find((each) => each.frontDoor === "chat"),
  );
  expect([row.status, row.errorMessage]).toEqual([
    503,
    "the gateway is shutting down: drain deadline passed",
  ]);
  expect(received).toStartWith("HTTP/1.1 503");
  socket.end();
});

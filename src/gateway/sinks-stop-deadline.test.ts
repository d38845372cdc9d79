import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A webhook still failing when the gateway stops keeps retrying only within the stop's time: at
// its end what is left is dropped, logged and counted as `closed` (docs/EMBEDDING.md), not cut
// off unsaid by the stop step's own bound (stop-steps.ts), which would log the sinks as failing
// to stop and let the process end with the drop never said.

const dir = mkdtempSync(join(tmpdir(), "mindgw-sinks-stop-"));
let deliveries = 0;
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch() {
    deliveries++;
    return new Response(null, { status: 503 });
  },
});

afterAll(() => {
  receiver.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("a webhook answering 503 at a stop past its drain deadline is given up within the stop's time: dropped and logged as closed", async () => {
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    server: { drain_timeout: "100ms" },
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "up", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
    models: [{ name: "m", routes: [{ provider: "up", model: "m" }] }],
    events: {
      webhooks: [
        {
          url: `http://127.0.0.1:${receiver.port}/hook`,
          secret: "0123456789abcdef",
          flush: "10ms",
          max_attempts: 100,
        },
      ],
    },
  });
  const { logger, lines } = recordingLogger();
  const { gateway, adminKey } = await recordingGateway(config, logger);
  const { port } = gateway.listen("127.0.0.1", 0);
  const models = await fetch(`http://127.0.0.1:${port}/v1/models`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  expect(models.status).toBe(200);
  // Its request.finished is being retried against the 503s.
  await waitForValue("a delivery refused", () => deliveries > 0);
  await gateway.stop();
  const said = lines.map((line) => `${line.level} ${line.message} ${line.fields?.reason ?? ""}`);
  expect(said).toContain("warn webhook events dropped closed");
  expect(said.filter((line) => line.includes("stop:"))).toEqual([]);
});

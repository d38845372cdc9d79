import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";

// An embedder's own tracer gets the gateway's spans; prompts and answers go on them only when
// both `audit.bodies` captures them and the embedder (or OTEL_INSTRUMENTATION_GENAI_CAPTURE_
// MESSAGE_CONTENT) opts in, and never with a credential in them.

const dirs: string[] = [];
const gateways: Gateway[] = [];
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function tracedGateway(captureContent: boolean) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const dir = mkdtempSync(join(tmpdir(), "mindgw-spans-"));
  dirs.push(dir);
  let key = "";
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "mindgw.db") },
      audit: { bodies: true },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "mock-1" }] }],
    }),
    logger: silentLogger,
    tracing: { tracer: provider.getTracer("test"), captureContent },
    onBootstrapKey: (plain) => {
      key = plain;
    },
  });
  gateways.push(gateway);
  const res = await gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: "my key is sk-abcdefghijklmnopqrstuvwxyz0123 say hi" }],
      }),
    }),
  );
  expect(res.status).toBe(200);
  await res.text();
  await provider.forceFlush();
  const server = exporter.getFinishedSpans().find((s) => s.name === "chat m");
  expect(server).toBeDefined();
  return server?.attributes ?? {};
}

test("content on spans only when opted in, and redacted", async () => {
  const plain = await tracedGateway(false);
  expect(plain["gen_ai.input.messages"]).toBeUndefined();
  expect(plain["gen_ai.output.messages"]).toBeUndefined();
  expect(plain["gen_ai.request.model"]).toBe("m");

  const captured = await tracedGateway(true);
  const input = String(captured["gen_ai.input.messages"]);
  expect(input).toContain("say hi");
  expect(input).toContain("[redacted]");
  expect(input).not.toContain("sk-abcdefghijklmnopqrstuvwxyz0123");
  expect(String(captured["gen_ai.output.messages"]).length).toBeGreaterThan(0);
});

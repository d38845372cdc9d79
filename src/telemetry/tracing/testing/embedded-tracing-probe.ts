/**
 * For start-tracing.test.ts, in a process of its own (sdk-node registers itself once per process):
 * an embedder's app, through the library's exports only, starts tracing from this process's
 * environment as `mindgw serve` does, hands it to createGateway, serves one chat completion on the
 * built-in mock provider, stops, and prints the answer's status.
 */
import { createGateway, parseConfig, silentLogger, startTracing, type Tracing } from "../../../index.ts";

const tracing: Tracing | undefined = await startTracing("embedded-probe", silentLogger);
if (!tracing) throw new Error("tracing did not start");
const gateway = await createGateway({
  config: parseConfig({
    storage: { path: ":memory:" },
    auth: { bootstrap_admin: false },
    providers: [{ name: "mock", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "mock", model: "mock-1" }] }],
  }),
  auth: async () => ({
    keyId: null,
    name: "app",
    tenant: "default",
    role: "user",
    models: ["*"],
    limits: {},
    via: "jwt",
  }),
  tracing,
  logger: silentLogger,
});
const response = await gateway.handle(
  new Request("http://localhost/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  }),
);
await response.arrayBuffer();
await gateway.stop();
await tracing.shutdown();
console.log(JSON.stringify({ status: response.status }));

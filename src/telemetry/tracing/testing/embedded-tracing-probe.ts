/**
 * For start-tracing.test.ts, in a process of its own (sdk-node registers itself once per process):
 * an embedder's app, through the library's exports only, starts tracing from this process's
 * environment as `mindgw serve` does, hands it to createGateway, serves one chat completion on the
 * built-in mock provider, stops, and prints the answer's status. With the argument `two`, two
 * gateways in the one process, each with tracing of its own (`first-probe`, `second-probe`): the
 * first stopped and its tracing shut down before the second serves its second request.
 */
import { createGateway, parseConfig, silentLogger, startTracing, type Tracing } from "../../../index.ts";

async function started(serviceName: string): Promise<Tracing> {
  const tracing = await startTracing(serviceName, silentLogger);
  if (!tracing) throw new Error("tracing did not start");
  return tracing;
}

function gatewayWith(tracing: Tracing) {
  return createGateway({
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
}

type Gateway = Awaited<ReturnType<typeof gatewayWith>>;

async function served(gateway: Gateway): Promise<number> {
  const response = await gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    }),
  );
  await response.arrayBuffer();
  return response.status;
}

if (process.argv[2] === "two") {
  const [first, second] = [await started("first-probe"), await started("second-probe")];
  const [a, b] = [await gatewayWith(first), await gatewayWith(second)];
  const statuses = [await served(a), await served(b)];
  await a.stop();
  await first.shutdown();
  statuses.push(await served(b));
  await b.stop();
  await second.shutdown();
  console.log(JSON.stringify({ statuses }));
} else {
  const tracing = await started("embedded-probe");
  const gateway = await gatewayWith(tracing);
  const status = await served(gateway);
  await gateway.stop();
  await tracing.shutdown();
  console.log(JSON.stringify({ status }));
}

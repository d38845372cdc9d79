import { expect, test } from "bun:test";
import { createGateway, parseConfig, silentLogger } from "./index.ts";

// A host that makes, serves with and stops gateways for its whole life (a multi-tenant host, a
// test suite) must find the process as it was after each stop: no listener of a gateway's left on
// `process`, where each one would hold that stopped gateway (its app, stores and caches) alive.

const listenersOnProcess = () =>
  Object.fromEntries(process.eventNames().map((event) => [String(event), process.listenerCount(event)]));

test("a gateway that listened, served and stopped leaves no listener on process behind", async () => {
  const before = listenersOnProcess();
  for (let round = 0; round < 3; round++) {
    const gateway = await createGateway({
      config: parseConfig({
        storage: { path: ":memory:" },
        auth: { bootstrap_admin: false },
        providers: [{ name: "demo", type: "mock" }],
        models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
      }),
      logger: silentLogger,
    });
    const { port } = gateway.listen("127.0.0.1", 0);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await gateway.stop();
  }
  expect(listenersOnProcess()).toEqual(before);
});

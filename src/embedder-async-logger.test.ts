import { expect, test } from "bun:test";
import { createGateway, type Logger, parseConfig } from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { waitFor } from "./testing/wait-for.ts";

// An embedder's logger whose methods are `async` (a log shipper's client), which TypeScript takes
// for a Logger: a call whose promise rejects (the shipper down) is a failure of the logger as a
// throw is, caught by the gateway's guard. Left unhandled, each ended the Bun process.

test("a logger whose async calls reject: requests are answered and their ends reported, and no rejection is left unhandled", async () => {
  const unhandled: unknown[] = [];
  const count = (reason: unknown) => void unhandled.push(reason);
  process.on("unhandledRejection", count);
  const shipper = async (message: string) => {
    throw new Error(`log shipper down: ${message}`);
  };
  const logger: Logger = { debug: shipper, info: shipper, warn: shipper, error: shipper };
  let finished = 0;
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      log: { level: "debug" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    auth: async (headers) => {
      if (headers.get("authorization") !== "Bearer good") throw new Error("unknown caller");
      return jwtCaller;
    },
    logger,
    events: [{ publish: (event) => void (event.type === "request.finished" && finished++) }],
  });
  try {
    for (const token of ["good", "bad"]) {
      const answer = await gateway.handle(
        new Request("http://gw/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        }),
      );
      expect(answer.status).toBe(token === "good" ? 200 : 401);
      await answer.text();
    }
    await waitFor("both requests' ends reported", () => finished === 2);
    await gateway.stop();
  } finally {
    process.off("unhandledRejection", count);
  }
  expect(unhandled).toEqual([]);
});

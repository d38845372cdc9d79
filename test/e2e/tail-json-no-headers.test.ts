import { expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(200_000);

// A --gateway (or a proxy before it) that takes the connection and never sends an answer's headers:
// the admin commands give up at 30 s, but `mindgw tail --json` waited out its 45 s silence bound
// five times over, backoff between, about four minutes. One bound for all now.

const fx = gatewayFixture({ gateway: false, fake: null });
const ADMIN_KEY = "mgw_silentsilentsilentsilentsilentsilentsilent";

test("tail --json and keys list against a gateway that never answers: exit 1 at the same 30 s bound, saying so", async () => {
  const silent = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    // Takes the request and says nothing, holding the connection open.
    socket: { data() {} },
  });
  fx.deferTest(() => silent.stop(true));
  const gateway = `http://127.0.0.1:${silent.port}`;
  // At once: each waits out its bound. Killed past 150 s, which is the wait this test finds.
  const results = await Promise.all(
    [
      ["tail", "--json"],
      ["keys", "list"],
    ].map((command) =>
      runMindgw([...command, "--gateway", gateway, "--admin-key", ADMIN_KEY], { timeoutMs: 150_000 }),
    ),
  );
  expect(results.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual([
    {
      code: 1,
      stdout: "",
      stderr: `mindgw tail: cannot reach the gateway at ${gateway}: no answer within 30 s\n`,
    },
    {
      code: 1,
      stdout: "",
      stderr: `mindgw: cannot reach the gateway at ${gateway}: no answer within 30 s\n`,
    },
  ]);
});

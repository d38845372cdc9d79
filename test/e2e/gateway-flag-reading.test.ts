import { expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(60_000);

// --gateway is read one way by every command: a bare host:port is http, as `mindgw tail` always
// took it (the admin commands refused it as 'not an http(s) URL', suggesting nothing), and a port
// past 65535 is said to be one (it read 'not an http(s) URL' too).

const fx = gatewayFixture({ models: ["m1"] });

test("a bare host:port is the gateway over http for the admin commands, as for tail", async () => {
  const bare = fx.gw.url.replace(/^http:\/\//, "");
  const listed = await runMindgw(["keys", "list", "--json", "--gateway", bare, "--admin-key", fx.adminKey]);
  expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: "" });
  expect(JSON.parse(listed.stdout)).toHaveProperty("keys");
  const tenants = await runMindgw(["tenants", "--json"], {
    env: { MINDGW_GATEWAY: bare, MINDGW_ADMIN_KEY: fx.adminKey },
  });
  expect({ code: tenants.code, stderr: tenants.stderr }).toEqual({ code: 0, stderr: "" });
});

test.each([
  [["keys", "list"], "mindgw: --gateway: not a port: 99999 (1 to 65535) in 127.0.0.1:99999"],
  [["audit", "query"], "mindgw: --gateway: not a port: 99999 (1 to 65535) in 127.0.0.1:99999"],
  [["tail", "--json"], "mindgw: --gateway: not a port: 99999 (1 to 65535) in 127.0.0.1:99999"],
])("%p --gateway 127.0.0.1:99999 says the port is out of range, exit 2", async (command, words) => {
  const out = await runMindgw([...command, "--gateway", "127.0.0.1:99999", "--admin-key", fx.adminKey]);
  expect({ code: out.code, stderr: out.stderr.trim(), stdout: out.stdout }).toEqual({
    code: 2,
    stderr: words,
    stdout: "",
  });
});

test.each([
  [["keys", "list"], "mindgw: --gateway: not a port: 99999 (1 to 65535) in http://127.0.0.1:99999"],
  [["tail", "--json"], "mindgw: --gateway: not a port: 99999 (1 to 65535) in http://127.0.0.1:99999"],
])("%p --gateway http://127.0.0.1:99999 likewise", async (command, words) => {
  const out = await runMindgw([
    ...command,
    "--gateway",
    "http://127.0.0.1:99999",
    "--admin-key",
    fx.adminKey,
  ]);
  expect({ code: out.code, stderr: out.stderr.trim() }).toEqual({ code: 2, stderr: words });
});

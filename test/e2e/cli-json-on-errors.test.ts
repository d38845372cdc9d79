import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(60_000);

// A command given --json that fails prints nothing on stdout, only its one-line error on stderr:
// a script reading it (`mindgw keys list --json | jq …`) gets no half document to choke on.
// `keys list --json` wrote `{ "keys": [` before its first page came, and left it there when the
// gateway was down or refused the admin key.

const fx = gatewayFixture({ models: ["m1"] });

/** Every admin command that prints JSON (audit query's NDJSON, audit export's), through a gateway. */
const COMMANDS = [
  ["keys", "list", "--json"],
  ["keys", "show", "someone", "--json"],
  ["tenants", "--json"],
  ["audit", "query", "--json"],
  ["audit", "export"],
  ["shadow", "report", "--json"],
];

/** A port nothing listens on: a server's, stopped. */
async function closedPlace(): Promise<string> {
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const place = `http://127.0.0.1:${closed.port}`;
  await closed.stop(true);
  return place;
}

describe("--json output when the command fails before its first answer", () => {
  for (const command of COMMANDS) {
    const name = command.join(" ");

    test(`${name}: a gateway down or a wrong admin key prints nothing on stdout, one line on stderr`, async () => {
      const down = await closedPlace();
      for (const [gateway, adminKey, code] of [
        [down, fx.adminKey, 1],
        [fx.gw.url, "mgw_wrongwrongwrongwrongwrongwrongwrongwrongwro", 2],
      ] as const) {
        const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", adminKey]);
        expect({
          gateway,
          code: out.code,
          stdout: out.stdout,
          lines: out.stderr.trimEnd().split("\n").length,
        }).toEqual({
          gateway,
          code,
          stdout: "",
          lines: 1,
        });
      }
    });
  }
});

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(60_000);

// `--tenant "$T"` with the variable unset, on a command where --tenant selects what is listed: read
// as no filter, `keys list` printed every tenant's keys and `audit query|export` every tenant's
// rows, exit 0, to a script that meant one tenant's (`| jq length`). Refused by name, exit 2, as
// `tail --tenant ""` and audit's own `--key ""`/`--model ""` are, locally and through a gateway.

const fx = gatewayFixture({ models: ["m1"] });

const LISTINGS = [
  ["keys", "list", "--json"],
  ["audit", "query", "--json"],
  ["audit", "export"],
];

describe('--tenant "" on a listing', () => {
  for (const listing of LISTINGS) {
    const name = listing.join(" ");

    test(`${name} --tenant "" through --gateway: exit 2 naming it, nothing printed`, async () => {
      const out = await runMindgw([
        ...listing,
        "--tenant",
        "",
        "--gateway",
        fx.gw.url,
        "--admin-key",
        fx.adminKey,
      ]);
      expect(out).toEqual({ code: 2, stdout: "", stderr: "mindgw: --tenant: empty\n" });
    });

    test(`${name} --tenant "" with -c: exit 2 naming it, nothing printed`, async () => {
      const out = await runMindgw([...listing, "--tenant", "", "-c", fx.gw.configPath]);
      expect(out).toEqual({ code: 2, stdout: "", stderr: "mindgw: --tenant: empty\n" });
    });
  }
});

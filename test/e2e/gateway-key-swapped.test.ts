import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { NOTHING_LISTENS } from "../../src/testing/off-cloud-env.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(60_000);

// An operator who swaps --gateway and --admin-key (or MINDGW_GATEWAY and MINDGW_ADMIN_KEY), or
// pastes the key into the URL, must not see the admin key in the error, nor have it sent anywhere:
// as a host name it went to the resolver (and `mindgw tail` tried five times), as a path it went
// in a request line the gateway logs and audits. Refused before any request, exit 2, unechoed.

/** An admin key's shape (mgw_ and 43 base62): never used, no gateway runs here. */
const KEY = "mgw_Q7pXr2LmZ9vB4nKc8TfYh3WdJs6GuA1eRo5iNbVtMqE";
const PLACE = `http://${NOTHING_LISTENS}`;

/** A key of another shape, not the admin key: an upstream key pasted where the URL goes. */
const OTHER = "sk-proj-Zq8Xv2Lm9Tb4Nc7Wd1Yh5Rk3Jf6Gs0Pa";

/** An admin key other than `KEY`: `KEY` in the URL is then not the key held but a key's shape. */
const ANOTHER_ADMIN_KEY = "mgw_Zr8Ks3Pq7Xv2Lm9Tb4Nc7Wd1Yh5Rk3Jf6Gs0PaBcD";

/** Whether `text` holds `key`, in any case. */
const holds = (text: string, key: string) => text.toLowerCase().includes(key.toLowerCase());

/** The key in any case: a host name is lowercased when it is parsed. */
const holdsKey = (text: string) => text.toLowerCase().includes(KEY.toLowerCase());

/** Every command that takes a gateway: the admin commands' shared target, and tail's own. */
const COMMANDS = [
  ["keys", "list"],
  ["audit", "query"],
  ["tenants"],
  ["shadow", "report"],
  ["tail", "--json"],
];

describe("the admin key where the gateway's URL goes", () => {
  for (const command of COMMANDS) {
    const name = command.join(" ");

    test(`${name} --gateway KEY --admin-key URL (swapped): exit 2, the key not echoed`, async () => {
      const out = await runMindgw([...command, "--gateway", KEY, "--admin-key", PLACE]);
      expect({ code: out.code, stdout: out.stdout, leaked: holdsKey(out.stderr) }).toEqual({
        code: 2,
        stdout: "",
        leaked: false,
      });
      expect(out.stderr).toContain("admin key");
    });

    test(`${name} with MINDGW_GATEWAY and MINDGW_ADMIN_KEY swapped: exit 2, the key not echoed`, async () => {
      const out = await runMindgw(command, { env: { MINDGW_GATEWAY: KEY, MINDGW_ADMIN_KEY: PLACE } });
      expect({ code: out.code, leaked: holdsKey(out.stderr) }).toEqual({ code: 2, leaked: false });
    });

    test(`${name} with the key in the URL's path: refused before it is sent, exit 2, unechoed`, async () => {
      const out = await runMindgw([...command, "--gateway", `${PLACE}/${KEY}`, "--admin-key", KEY]);
      expect({ code: out.code, leaked: holdsKey(out.stderr) }).toEqual({ code: 2, leaked: false });
      expect(out.stderr).toContain("admin key");
    });

    test(`${name} with another key's shape as the URL's host (a port, a path or a scheme after it): exit 2, unechoed, not resolved`, async () => {
      for (const gateway of [`${OTHER}:8080`, `${OTHER}:8080/mindgw`, `http://${OTHER}/v1`]) {
        const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", KEY]);
        expect({ gateway, code: out.code, leaked: holds(out.stderr, OTHER) }).toEqual({
          gateway,
          code: 2,
          leaked: false,
        });
        expect(out.stderr).toContain("reads as a key");
      }
    });

    test(`${name} with a key percent-escaped or uppercased as the URL's host (the parser decodes and lowercases it for the resolver): exit 2, unechoed, not resolved`, async () => {
      for (const [gateway, adminKey] of [
        [`http://${KEY.replace("_", "%5F")}:8080`, KEY],
        [`http://${KEY.replace("_", "%5F")}:8080`, ANOTHER_ADMIN_KEY],
        [`http://${KEY.toUpperCase()}:8080`, ANOTHER_ADMIN_KEY],
      ] as const) {
        const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", adminKey]);
        expect({ gateway, code: out.code, leaked: holdsKey(out.stderr) }).toEqual({
          gateway,
          code: 2,
          leaked: false,
        });
        expect(out.stderr).toMatch(/holds the admin key|reads as a key/);
      }
    });
  }
});

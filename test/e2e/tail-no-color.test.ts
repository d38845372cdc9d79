import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { spawnTerminalTail } from "./harness/pty-tail.ts";

setDefaultTimeout(60_000);

// The interactive `mindgw tail` on a real pseudo-terminal of a colour terminal (TERM
// xterm-256color, no CI), with and without NO_COLOR (https://no-color.org: present and not empty,
// whatever its value, no ANSI colour; bold, dim and inverse are no colour and stay). ink's colours
// come from chalk, which reads FORCE_COLOR but not NO_COLOR (chalk/supports-color#74, #105), and
// whose level 0 drops every style, the selected row's inverse too: the view leaves colours out itself.

const fx = gatewayFixture({ models: ["m1"] });

const ESC = "\u001b";
/** A foreground or background colour in an SGR sequence: 30-37, 39-47, 49, 90-97, 100-107, 38;…, 48;…. */
const COLOUR_SGR = new RegExp(`${ESC}\\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m`);

/** What the view drew once live, in a colour terminal with `env` over it. */
async function liveScreen(env: Record<string, string | undefined>): Promise<string> {
  const tail = await spawnTerminalTail(["--gateway", fx.gw.url], fx.adminKey, {
    TERM: "xterm-256color",
    CI: undefined,
    FORCE_COLOR: undefined,
    NO_COLOR: undefined,
    COLORTERM: undefined,
    ...env,
  });
  try {
    return tail.screen();
  } finally {
    await tail.stop();
  }
}

describe("the interactive tail and NO_COLOR", () => {
  test("a colour terminal without NO_COLOR: the live state is drawn in colour", async () => {
    expect(await liveScreen({})).toMatch(COLOUR_SGR);
  });

  test("NO_COLOR=1: the view is drawn without a colour; bold, dim and inverse stay (no colours: the selected row and PAUSED are inverse)", async () => {
    const screen = await liveScreen({ NO_COLOR: "1" });
    expect(screen).not.toMatch(COLOUR_SGR);
    expect(screen).toContain(`${ESC}[1mmindgw tail`);
  });

  test("NO_COLOR empty counts as unset: colour", async () => {
    expect(await liveScreen({ NO_COLOR: "" })).toMatch(COLOUR_SGR);
  });

  test("NO_COLOR wins over FORCE_COLOR (chalk's, which turns styles on or off, never colour alone)", async () => {
    expect(await liveScreen({ NO_COLOR: "1", FORCE_COLOR: "1" })).not.toMatch(COLOUR_SGR);
  });
});

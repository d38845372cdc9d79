import type { SteppableClock } from "./skewed-clock.ts";
import { waitFor } from "./wait-for.ts";

/**
 * Steps the gateway's wall clock (`clock`, its libfaketime file) `minutes` ahead of the host's and
 * waits until the gateway at `url` reads so (its Date header, within `withinMs`): libfaketime
 * rereads its file once a second, so the step takes effect a moment after it is written.
 */
export async function gatewayClockAhead(
  clock: SteppableClock,
  url: string,
  minutes: number,
  withinMs = 20_000,
  what = `the gateway's clock ${minutes} min ahead of the host's`,
): Promise<void> {
  clock.step(minutes * 60);
  await waitFor(
    what,
    async () => {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      const ahead = Date.parse(response.headers.get("date") ?? "") - Date.now();
      return Math.abs(ahead - minutes * 60_000) < withinMs;
    },
    20_000,
  );
}

/** Steps the gateway's wall clock back to the host's, as NTP would, and waits until it reads so. */
export const gatewayClockBack = (clock: SteppableClock, url: string): Promise<void> =>
  gatewayClockAhead(
    clock,
    url,
    0,
    60_000,
    "the gateway's clock stepped back (its Date header within a minute of the host's)",
  );

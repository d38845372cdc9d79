import type { SteppableClock } from "./skewed-clock.ts";
import { waitFor } from "./wait-for.ts";

/**
 * Steps the gateway's wall clock (`clock`, its libfaketime file) `minutes` ahead of the host's and
 * waits until the gateway at `url` reads so (its Date header): libfaketime rereads its file once a
 * second, so the step takes effect a moment after it is written.
 */
export async function gatewayClockAhead(clock: SteppableClock, url: string, minutes: number): Promise<void> {
  clock.step(minutes * 60);
  await waitFor(
    `the gateway's clock ${minutes} min ahead of the host's`,
    async () => {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      const ahead = Date.parse(response.headers.get("date") ?? "") - Date.now();
      return Math.abs(ahead - minutes * 60_000) < 20_000;
    },
    20_000,
  );
}

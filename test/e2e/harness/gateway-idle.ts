import { parsePrometheus } from "./prometheus-text.ts";
import { waitFor } from "./wait-for.ts";

const total = (text: string, name: string) =>
  parsePrometheus(text)
    .filter((sample) => sample.name === name)
    .reduce((sum, sample) => sum + sample.value, 0);

/**
 * Waits until the gateway has nothing in flight but the `/metrics` read asking: a client's
 * abandoned streams end in the gateway a little after it leaves, and until they do they hold
 * their caller's slots (`server.max_client_requests`), so the next test's request could be
 * refused. A read refused at capacity is no answer: it waits on.
 */
export function gatewayIdle(url: string, adminKey: string): Promise<true> {
  return waitFor("the gateway to have nothing in flight", async () => {
    const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } });
    if (!response.ok) return false;
    const text = await response.text();
    // The /metrics request itself is in flight.
    return total(text, "mindgw_requests_in_flight") === 1 && total(text, "mindgw_streams_in_flight") === 0;
  });
}

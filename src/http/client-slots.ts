import { GatewayError } from "../core/gateway-error.ts";
import { KeyTable } from "../core/key-table.ts";

/**
 * Requests in flight per client address, bounded. Bun shows the server requests, not idle
 * connections, so this counts what a connection is doing (an idle one is closed by
 * `server.idle_timeout`): one address cannot hold every slot of the gateway by opening streams
 * or trickling bodies. `max()` is read per request, so a reload changes it; 0 means no cap.
 * A request without an address (handed to `gateway.handle()` with no `clientIp`) is not counted:
 * counted together under one name, every such client would share one address's cap.
 * By address in a KeyTable, not a Map: an address leaves the table whenever its last request
 * ends (at every request, for a client one request at a time), and a long-lived Map that keys
 * leave keeps each left address alive through young collections (core/key-table.ts).
 */
export class ClientSlots {
  private readonly open = new KeyTable<number>();

  constructor(private readonly max: () => number = () => 0) {}

  /**
   * Counts a request in; throws a 429 when its address already holds `max` of them (the request's
   * own config version's, when the caller passes it).
   */
  enter(address: string | null, max = this.max()): void {
    if (address === null) return;
    const held = this.open.get(address) ?? 0;
    if (max > 0 && held >= max)
      throw new GatewayError({
        status: 429,
        code: "rate_limited",
        message: `too many requests in flight from this address (server.max_client_requests: ${max})`,
        headers: { "retry-after": "1" },
        // A cap on one address's requests: counted with the rpm refusals, not as an upstream's.
        refusedBy: "requests",
      });
    this.open.set(address, held + 1);
  }

  leave(address: string | null): void {
    if (address === null) return;
    const held = (this.open.get(address) ?? 1) - 1;
    if (held <= 0) this.open.delete(address);
    else this.open.set(address, held);
  }

  /** Requests in flight from an address (for tests and status). */
  held(address: string): number {
    return this.open.get(address) ?? 0;
  }
}

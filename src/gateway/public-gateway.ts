import { createGateway as createBuiltGateway } from "./create-gateway.ts";
import type { Gateway, GatewayOptions } from "./gateway-options.ts";

export type { Gateway, GatewayOptions } from "./gateway-options.ts";

/**
 * Builds and starts a gateway (docs/EMBEDDING.md): the package's `createGateway`, which answers
 * the gateway's documented surface alone, not the inside mindgw's own code reaches (`BuiltGateway`).
 */
export const createGateway: (options: GatewayOptions) => Promise<Gateway> = createBuiltGateway;

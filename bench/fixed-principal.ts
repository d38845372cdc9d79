import type { Principal } from "../src/auth/principal.ts";

/** A caller the benches' in-process gateways let use everything, counted against nothing: they measure the gateway, not auth. */
export const FIXED_PRINCIPAL: Principal = Object.freeze({
  keyId: "bench-fixed",
  name: "bench",
  tenant: "default",
  role: "admin",
  models: Object.freeze(["*"]),
  limits: Object.freeze({}),
  via: "key",
});

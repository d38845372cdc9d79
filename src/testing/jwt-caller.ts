import type { Principal } from "../auth/principal.ts";

/**
 * A caller for tests that need one in hand, not a stored key: a user of the default tenant on
 * every model with no limits, as a JWT (or an embedder's authenticator) would vouch for it.
 */
export const jwtCaller: Principal = {
  keyId: null,
  name: "u",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "jwt",
};

/**
 * A custom authenticator: callers present tokens issued by an internal token service, and the
 * gateway asks that service who they are (token introspection, cached briefly). API keys and
 * JWTs are not consulted at all; roles, tenants, model lists and limits come from the service.
 */
import {
  type Authenticator,
  createGateway,
  GatewayError,
  type Principal,
  parseConfig,
  silentLogger,
} from "../src/index.ts";

/** Answers `POST /introspect {token}` like an OAuth 2.0 introspection endpoint would. */
export function startTokenService(tokens: Record<string, { sub: string; team: string; admin?: boolean }>) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { token } = (await request.json()) as { token?: string };
      const who = token ? tokens[token] : undefined;
      return Response.json(who ? { active: true, ...who } : { active: false });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/introspect`, stop: () => server.stop(true) };
}

/** Bearer tokens checked against the service; answers are cached for `ttlMs`. */
export function introspectingAuth(url: string, ttlMs = 30_000): Authenticator {
  const cache = new Map<string, { principal: Principal; until: number }>();
  return async (headers) => {
    const token = headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? "";
    const cached = cache.get(token);
    if (cached && cached.until > Date.now()) return cached.principal;
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
      signal: AbortSignal.timeout(5_000),
    });
    const answer = (await response.json()) as {
      active: boolean;
      sub?: string;
      team?: string;
      admin?: boolean;
    };
    // Any error thrown here becomes the gateway's uniform 401; a GatewayError keeps its own status.
    if (!answer.active || !answer.sub)
      throw new GatewayError({ status: 401, code: "unauthorized", message: "token not active" });
    const principal: Principal = {
      keyId: null,
      name: answer.sub,
      tenant: answer.team ?? "default",
      role: answer.admin ? "admin" : "user",
      models: ["*"],
      limits: { rpm: 600 },
      via: "jwt",
    };
    cache.set(token, { principal, until: Date.now() + ttlMs });
    return principal;
  };
}

export async function start() {
  const service = startTokenService({
    "tok-alice": { sub: "alice", team: "search" },
    // The platform's admin: tenant "default" is gateway-wide (/metrics, every tenant's keys). An
    // admin of any other team, listed in tenants: or not, is held to that team.
    "tok-ops": { sub: "ops", team: "default", admin: true },
  });
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    auth: introspectingAuth(service.url),
    logger: silentLogger,
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await gateway.stop();
      service.stop();
    },
  };
}

if (import.meta.main) console.log(`gateway on ${(await start()).url}; try: Authorization: Bearer tok-alice`);

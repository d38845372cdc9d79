import { expect, test } from "bun:test";
import { startStoredGateway } from "../../testing/stored-gateway.ts";
import { signIn } from "../../testing/ui-session.ts";

// A web UI behind a proxy that asks for HTTP Basic (nginx `auth_basic`): the browser sends its
// `Authorization: Basic …` with every call the page makes, beside the session cookie. Basic is no
// mindgw credential (docs/SECURITY.md), so the session is read as without it, CSRF check included.
// Through the real gateway (app.handle, a real SQLite file).

const BASIC = "Basic b3BzOnByb3h5LXBhc3N3b3Jk"; // ops:proxy-password, the proxy's, not the gateway's

test("a session's calls carrying a proxy's Basic Authorization are the session's, its CSRF token still required", async () => {
  const started = await startStoredGateway({
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  });
  const { gateway, adminKey } = started;
  try {
    const { cookie, "x-csrf-token": csrf } = await signIn(gateway, adminKey);
    const call = (path: string, headers: Record<string, string>, method = "GET") =>
      gateway.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers: { cookie, authorization: BASIC, ...headers },
        }),
      );

    const keys = await call("/admin/api/keys", { "x-csrf-token": csrf });
    expect(keys.status).toBe(200);
    // Basic lets nothing past the CSRF check: without the token, the session's 403 as ever.
    const forged = await call("/admin/api/keys", {});
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toStartWith(
      "missing CSRF token",
    );
    // Signing out works too, and ends the session.
    const out = await call("/admin/auth/logout", { "x-csrf-token": csrf }, "POST");
    expect(out.status).toBe(200);
    expect((await call("/admin/api/keys", { "x-csrf-token": csrf })).status).toBe(401);
  } finally {
    await started.stop();
  }
});

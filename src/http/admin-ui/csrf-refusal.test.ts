import { expect, test } from "bun:test";
import { startStoredGateway } from "../../testing/stored-gateway.ts";
import { signIn } from "../../testing/ui-session.ts";

// A web UI session's request refused for its CSRF token, through the real gateway (app.handle, a
// real SQLite file): the 403 says what was wrong and what to do, in the admin API's error shape,
// and quotes nothing the request sent.

test("a session's request without its CSRF token, or with another, is 403 saying which and what to do, the token given never quoted", async () => {
  const started = await startStoredGateway({
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
  });
  const { gateway, adminKey } = started;
  try {
    const { cookie, "x-csrf-token": csrf } = await signIn(gateway, adminKey);
    // A state-changing call (a new key), as another site would forge it: the cookie alone, or a guess.
    const createKey = (headers: Record<string, string>) =>
      gateway.handle(
        new Request("http://localhost/admin/api/keys", {
          method: "POST",
          headers: { cookie, "content-type": "application/json", ...headers },
          body: JSON.stringify({ name: "forged", role: "admin" }),
        }),
      );
    const sent: Record<string, string>[] = [
      {},
      { "x-csrf-token": "" },
      { "x-csrf-token": "<script>guessed</script>" },
    ];
    const refusals = await Promise.all(
      sent.map(async (headers) => {
        const response = await createKey(headers);
        return [response.status, await response.json()];
      }),
    );
    const missing = {
      error: {
        code: "forbidden",
        message:
          "missing CSRF token: a request with the web UI's session cookie must repeat the session's token (as /admin/auth/session gives it) in the X-CSRF-Token header; a script or tool should send an admin key in Authorization or x-api-key instead",
      },
    };
    expect(refusals).toMatchObject([
      [403, missing],
      [403, missing],
      [
        403,
        {
          error: {
            code: "forbidden",
            message:
              "wrong CSRF token: the X-CSRF-Token header is not this session's token (a page left open from an earlier sign-in, or another session's token); reload the web UI to take the current one",
          },
        },
      ],
    ]);
    expect(JSON.stringify(refusals)).not.toContain("guessed");
    // Nothing happened: the one key is the bootstrap admin's; the right token is served.
    const keys = await gateway.handle(
      new Request("http://localhost/admin/api/keys", { headers: { cookie, "x-csrf-token": csrf } }),
    );
    expect(keys.status).toBe(200);
    expect(JSON.stringify(await keys.json())).not.toContain("forged");
    // As the refusal advises, a script's admin key in either header is its own credential, the
    // cookie beside it and no token notwithstanding.
    const credentials: Record<string, string>[] = [
      { authorization: `Bearer ${adminKey}` },
      { "x-api-key": adminKey },
    ];
    for (const credential of credentials) {
      const read = await gateway.handle(
        new Request("http://localhost/admin/api/keys", { headers: { cookie, ...credential } }),
      );
      expect(read.status).toBe(200);
    }
  } finally {
    await started.stop();
  }
});

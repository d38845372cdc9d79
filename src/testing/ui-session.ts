import type { Gateway } from "../gateway/create-gateway.ts";

/**
 * The headers a web UI session's calls carry: its cookie and its CSRF token. A type, not an
 * interface, so that it passes where headers are a `Record<string, string>`.
 */
export type UiSession = {
  cookie: string;
  "x-csrf-token": string;
};

/**
 * Signs in to the admin web UI of the in-process gateway with `key` (an admin key, or a token the
 * embedder's authenticator reads) as the sign-in page does, and returns its session's headers;
 * throws, with what the gateway said, when the sign-in is refused.
 */
export async function signIn(gateway: Gateway, key: string): Promise<UiSession> {
  const login = await gateway.handle(
    new Request("http://localhost/admin/auth/login", {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
    }),
  );
  if (login.status !== 200) throw new Error(`sign-in refused: ${login.status} ${await login.text()}`);
  const id = /mindgw_session=([^;]+)/.exec(login.headers.getSetCookie().join("\n"))?.[1] ?? "";
  const { csrf } = (await login.json()) as { csrf: string };
  return { cookie: `mindgw_session=${id}`, "x-csrf-token": csrf };
}

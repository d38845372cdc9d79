import { expect } from "bun:test";

/** A web UI session's request headers, as the page sends them: its cookie and its CSRF token. */
export const asSession = (cookie: string, csrf: string) => ({
  cookie: `mindgw_session=${cookie}`,
  "x-csrf-token": csrf,
});

/** Signs in with a key, as the page does: the session's cookie and CSRF token as request headers. */
export async function signIn(url: string, key: string) {
  const login = await fetch(`${url}/admin/auth/login`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
  });
  expect(login.status).toBe(200);
  const cookie = /mindgw_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const { csrf } = (await login.json()) as { csrf: string };
  return asSession(cookie, csrf);
}

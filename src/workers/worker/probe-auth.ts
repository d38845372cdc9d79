/**
 * Asks the gateway, over plain HTTPS, why an upgrade failed before any frame: a WebSocket
 * client sees only "closed (1006)" whatever the status was. The same upgrade request, sent as a
 * plain request, runs the endpoint's admission check again and shows its status: a 401 or 403
 * means the token itself is refused and reconnecting cannot help. Undefined when the answer says nothing
 * about the token (gateway down, any other status).
 */
export async function tokenRefusal(
  connectUrl: URL,
  token: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const url = new URL(connectUrl.href);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  let status: number;
  try {
    const response = await fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64"),
      },
      signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
    });
    status = response.status;
    await response.body?.cancel();
  } catch {
    return undefined;
  }
  if (status === 401)
    return "the gateway refused the worker token (401): check --token or MINDGW_WORKER_TOKEN";
  if (status === 403) return "this token may not connect a worker (403): it needs the worker or admin role";
  return undefined;
}

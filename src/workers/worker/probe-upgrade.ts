/** Why the gateway refused the upgrade, as its HTTP status showed. */
export interface UpgradeRefusal {
  status: number;
  message: string;
  /** The token itself is refused: reconnecting with it could never succeed. */
  final: boolean;
}

/**
 * Asks the gateway, over plain HTTPS, why an upgrade failed before any frame: a WebSocket
 * client sees only "closed (1006)" whatever the status was. The same upgrade request, sent as a
 * plain request, runs the endpoint's admission check again and shows its status: a 401 or 403
 * means the token itself is refused (`final`); a 404 that the gateway has no worker endpoint there
 * (`workers.enabled` off, a wrong `--connect` path); another status, most often a proxy in between
 * that does not pass the upgrade. Undefined when no status came back (gateway down) or it was the
 * upgrade's own 101.
 */
export async function upgradeRefusal(
  connectUrl: URL,
  token: string,
  signal: AbortSignal,
): Promise<UpgradeRefusal | undefined> {
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
      redirect: "manual",
    });
    status = response.status;
    await response.body?.cancel();
  } catch {
    return undefined;
  }
  return refusalOf(status, connectUrl);
}

/** What a status answered to the upgrade says (exported for its unit test). */
export function refusalOf(status: number, connectUrl: URL): UpgradeRefusal | undefined {
  if (status === 101) return undefined;
  if (status === 401)
    return {
      status,
      final: true,
      message: "the gateway refused the worker token (401): check --token or MINDGW_WORKER_TOKEN",
    };
  if (status === 403)
    return {
      status,
      final: true,
      message: "this token may not connect a worker (403): it needs the worker or admin role",
    };
  if (status === 404)
    return {
      status,
      final: false,
      message: `no worker endpoint at ${connectUrl.href} (404): check that workers.enabled is on in the gateway's config and that --connect is right`,
    };
  const answered = `the upgrade at ${connectUrl.href} was answered ${status}`;
  const why =
    status >= 300 && status < 400
      ? "a redirect, which a WebSocket does not follow: give --connect the address it leads to"
      : status >= 500
        ? "the gateway, or a proxy in front of it, is failing"
        : "not 101: a proxy in between may not pass WebSocket upgrades";
  return { status, final: false, message: `${answered}, ${why}` };
}

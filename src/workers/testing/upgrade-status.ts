/**
 * The status a WebSocket upgrade to `/workers/connect` gets (101 when admitted; 400, 401, 403 when
 * refused), for tests of the endpoint's admission.
 */
export function upgradeStatus(port: number, headers: Record<string, string>, query = ""): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/workers/connect${query}`, {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      ...headers,
    },
  }).then((response) => response.status);
}

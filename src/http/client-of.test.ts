import { afterEach, expect, test } from "bun:test";
import { clientIpOf, giveClientIp, trustProxies } from "./client-of.ts";
import { type TrustedProxies, trustedProxiesOf } from "./trusted-proxies.ts";

// The client address a listening server's request is given, from a real socket on 127.0.0.1.

let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(async () => {
  await server?.stop(true);
  server = undefined;
});

/** A server that answers each request with the client address it was given. */
function listening() {
  const listener = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, self) => new Response(clientIpOf(self, request) ?? "none"),
  });
  server = listener;
  const ask = async (forwardedFor?: string) =>
    (await fetch(listener.url, forwardedFor ? { headers: { "x-forwarded-for": forwardedFor } } : {})).text();
  return { listener, ask };
}

test("the socket's peer, until the server is told to believe a proxy; the proxies asked per request (a reload)", async () => {
  const { listener, ask } = listening();
  expect(await ask("203.0.113.9")).toBe("127.0.0.1");
  let proxies: TrustedProxies | undefined = trustedProxiesOf([]);
  trustProxies(listener, () => proxies);
  expect(await ask("203.0.113.9")).toBe("127.0.0.1");
  proxies = trustedProxiesOf(["127.0.0.1"]);
  expect(await ask("203.0.113.9")).toBe("203.0.113.9");
  expect(await ask()).toBe("127.0.0.1");
  proxies = trustedProxiesOf(["10.0.0.0/8"]);
  expect(await ask("203.0.113.9")).toBe("127.0.0.1");
});

test("an address given with a request handed in wins; without a server and one, none", () => {
  const request = new Request("http://localhost/v1/models");
  expect(clientIpOf(null, request)).toBeNull();
  giveClientIp(request, "198.51.100.4");
  expect(clientIpOf(null, request)).toBe("198.51.100.4");
});

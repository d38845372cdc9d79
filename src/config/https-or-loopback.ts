/** Hosts where plain http never leaves the machine. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Whether a URL is https, or plain http on loopback only: what every URL a credential or a trust
 * decision travels over must be (an identity provider's, a JWKS's), so nobody on the way reads or
 * replaces it. False for a string that is no URL.
 */
export function httpsOrLoopback(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { protocol, hostname } = new URL(url);
  return protocol === "https:" || (protocol === "http:" && LOOPBACK.has(hostname));
}

/** `http://host:port` for a listener's hostname as Bun reports it, an IPv6 address in brackets (`http://[::]:8080`). */
export const httpOrigin = (hostname: string, port: number): string =>
  `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;

import { expect, test } from "bun:test";
import { UsageError } from "./exit-code.ts";
import { serveAddress } from "./serve-address.ts";

const server = { host: "0.0.0.0", port: 8080 };

test("--host and --port over server.host and server.port, each as written; left out, the config's", () => {
  expect(serveAddress({}, server)).toEqual(server);
  expect(serveAddress({ host: "127.0.0.1" }, server)).toEqual({ host: "127.0.0.1", port: 8080 });
  expect(serveAddress({ port: "9090" }, server)).toEqual({ host: "0.0.0.0", port: 9090 });
  expect(serveAddress({ host: "::1", port: "0" }, server)).toEqual({ host: "::1", port: 0 });
  expect(serveAddress({ port: "65535" }, server).port).toBe(65535);
});

test("an empty --host, and a --port of anything but digits up to 65535, are usage errors naming the option", () => {
  expect(() => serveAddress({ host: "" }, server)).toThrow(UsageError);
  expect(() => serveAddress({ host: "" }, server)).toThrow(/^--host: empty: /);
  for (const port of ["", " 80", "+80", "8080.0", "0x50", "1e3", "-1", "65536"])
    expect(() => serveAddress({ port }, server)).toThrow(
      `--port: not a port: ${JSON.stringify(port)} (0 to 65535; 0 for any free one)`,
    );
});

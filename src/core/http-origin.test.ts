import { expect, test } from "bun:test";
import { httpOrigin } from "./http-origin.ts";

test("an IPv6 address in brackets, as a URL needs it; a name or an IPv4 address as it is", () => {
  expect(httpOrigin("::", 8080)).toBe("http://[::]:8080");
  expect(httpOrigin("::1", 0)).toBe("http://[::1]:0");
  expect(httpOrigin("fe80::1%eth0", 9464)).toBe("http://[fe80::1%eth0]:9464");
  expect(httpOrigin("0.0.0.0", 8080)).toBe("http://0.0.0.0:8080");
  expect(httpOrigin("localhost", 80)).toBe("http://localhost:80");
});

import { expect, test } from "bun:test";
import { readGatewayUrl } from "./gateway-url.ts";

const href = (text: string) => {
  const reading = readGatewayUrl(text);
  return reading.ok ? reading.url.href : reading.why;
};

test("a bare host:port is http on loopback, a scheme is kept, spaces about it dropped", () => {
  expect(href("127.0.0.1:8080")).toBe("http://127.0.0.1:8080/");
  expect(href("localhost:8080/mindgw")).toBe("http://localhost:8080/mindgw");
  expect(href(" https://gw.example.com ")).toBe("https://gw.example.com/");
  expect(href("[::1]:8080")).toBe("http://[::1]:8080/");
});

test("a bare host off loopback is asked its scheme: the admin key would go in the clear unasked, to a TLS port too", () => {
  for (const given of ["gw.example.com:8080/mindgw", "gw.example.com:443", "gw.example.com", "10.0.0.5:8080"])
    expect(href(given)).toBe(
      `no scheme in ${given}: give http://${given} or https://${given} (a bare host:port is taken as http on loopback only, where the admin key goes nowhere in the clear)`,
    );
});

test("a port past 65535 is said to be one, with or without a scheme, user info never echoed", () => {
  expect(href("127.0.0.1:99999")).toBe("not a port: 99999 (1 to 65535) in 127.0.0.1:99999");
  expect(href("http://u:secret@gw:70000/x")).toBe("not a port: 70000 (1 to 65535) in http://gw:70000/x");
  expect(href("[::1]:99999")).toBe("not a port: 99999 (1 to 65535) in [::1]:99999");
});

test("another scheme, an odd host, a query or nothing are refused", () => {
  expect(href("ftp://gw.test")).toBe("not an http(s) URL: ftp://gw.test");
  expect(href("ht!tp://x")).toBe("bad host name in ht!tp://x");
  expect(href("http://g w")).toBe("not an http(s) URL: http://g w");
  expect(href("http://gw/?k=v")).toBe("a URL with a query or fragment: give http://gw without it");
  expect(href("  ")).toBe("no gateway URL: give --gateway or MINDGW_GATEWAY");
});

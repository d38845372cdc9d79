import { expect, test } from "bun:test";
import { urlLabel } from "./url-label.ts";

test("scheme, host, port and path; never user info, query or fragment", () => {
  expect(urlLabel("http://user:secretpw@127.0.0.1:1")).toBe("http://127.0.0.1:1");
  expect(urlLabel("https://gw.example.com/mindgw/?token=mgw_secret#x")).toBe("https://gw.example.com/mindgw");
  expect(urlLabel("http://[::1]:8080/")).toBe("http://[::1]:8080");
  expect(urlLabel("ftp://u:pw@host/x?k=mgw_secret")).toBe("ftp://host/x");
});

test("text that is no URL is echoed without what looks like credentials", () => {
  expect(urlLabel("http://u:pw@exa mple.com/?k=mgw_secret")).toBe("http://exa mple.com/");
  expect(urlLabel("gw example:8080?token=t")).toBe("gw example:8080");
});

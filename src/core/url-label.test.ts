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

test("text without scheme:// is cut as text: user info and query off, no scheme made up", () => {
  // new URL read "u:" or "gw.example:" for a scheme: "u://secret@gw!x:8080", "gw.example://8080".
  expect(urlLabel("u:secret@gw!x:8080")).toBe("gw!x:8080");
  expect(urlLabel("admin:s3cret@gw.example:8080")).toBe("gw.example:8080");
  expect(urlLabel("gw.example:8080?token=t")).toBe("gw.example:8080");
  expect(urlLabel("localhost:8080/path?token=t#f")).toBe("localhost:8080/path");
  expect(urlLabel("u:p@ss@gw:1/x")).toBe("gw:1/x");
  expect(urlLabel("mailto:s3cret@x")).toBe("x");
  expect(urlLabel("http://u:p@ss@exa mple.com/?k=mgw_secret")).toBe("http://exa mple.com/");
});

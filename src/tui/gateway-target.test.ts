import { describe, expect, test } from "bun:test";
import { resolveGateway } from "./gateway-target.ts";

const ok = (text: string) => {
  const result = resolveGateway(text);
  if (!result.ok) throw new Error(result.error);
  return result.target;
};

describe("resolveGateway", () => {
  test("builds the admin URLs, keeping a path prefix", () => {
    expect(ok("http://127.0.0.1:8080").eventsUrl.href).toBe("http://127.0.0.1:8080/admin/api/events");
    expect(ok("https://gw.example.com/mindgw/").workersUrl.href).toBe(
      "https://gw.example.com/mindgw/admin/api/workers",
    );
    expect(ok("localhost:8080").label).toBe("http://localhost:8080");
    expect(ok("http://[::1]:8080").label).toBe("http://[::1]:8080");
    expect(ok("http://mindgw_gateway:8080").label).toBe("http://mindgw_gateway:8080");
  });

  test("the label drops user info", () => {
    const target = ok("http://admin:secret@gw.example.com/");
    expect(target.label).toBe("http://gw.example.com");
    expect(target.eventsUrl.href).not.toContain("secret");
  });

  test("a query or fragment is refused, not dropped, as every command's --gateway refuses it; the query not echoed", () => {
    for (const text of [
      "http://gw.example.com/?key=mgw_x",
      "gw.example.com:8080#mgw_x",
      "http://gw.example.com/mgw?",
    ]) {
      const result = resolveGateway(text);
      expect(result.ok ? "" : result.error).toContain("query or fragment");
      expect(result.ok ? "" : result.error).not.toContain("mgw_x");
    }
  });

  test("rejects what is not an http URL, without echoing secrets", () => {
    for (const bad of ["", "http://", "ftp://host", "http://exa mple.com", "ht!tp:/x", "http://a!b:80"])
      expect(resolveGateway(bad).ok).toBe(false);
    const result = resolveGateway("ftp://u:pw@host/?k=mgw_secret");
    expect(result.ok ? "" : result.error).not.toContain("pw");
    expect(result.ok ? "" : result.error).not.toContain("mgw_secret");
  });
});

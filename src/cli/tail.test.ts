import { expect, test } from "bun:test";
import { UsageError } from "./exit-code.ts";
import { tailTarget } from "./tail.ts";

test("an empty MINDGW_GATEWAY counts as unset: the local default, as --help says", () => {
  // It was "" and the tail refused: `no gateway URL: pass --gateway or set MINDGW_GATEWAY`, exit 2.
  expect(tailTarget({}, { MINDGW_GATEWAY: "" }).gateway).toBe("http://127.0.0.1:8080");
  expect(tailTarget({}, {}).gateway).toBe("http://127.0.0.1:8080");
  expect(tailTarget({}, { MINDGW_GATEWAY: "https://gw.example.com" }).gateway).toBe("https://gw.example.com");
  expect(
    tailTarget({ gateway: "http://10.0.0.1:8080" }, { MINDGW_GATEWAY: "https://gw.example.com" }).gateway,
  ).toBe("http://10.0.0.1:8080");
});

test("a flag given empty is refused by name, as for every other command; the environment is not read for it", () => {
  const env = { MINDGW_GATEWAY: "https://gw.example.com", MINDGW_ADMIN_KEY: "mgw_env" };
  expect(() => tailTarget({ gateway: "" }, env)).toThrow(new UsageError("--gateway: empty"));
  expect(() => tailTarget({ adminKey: " " }, env)).toThrow(new UsageError("--admin-key: empty"));
  expect(tailTarget({ adminKey: "mgw_flag" }, env)).toEqual({
    gateway: "https://gw.example.com",
    gatewayFrom: "MINDGW_GATEWAY",
    adminKey: "mgw_flag",
  });
  expect(tailTarget({ gateway: "http://10.0.0.1:8080" }, env).gatewayFrom).toBe("--gateway");
  expect(tailTarget({}, {}).gatewayFrom).toBeUndefined();
});

import { expect, test } from "bun:test";
import { chooseTarget } from "./command-target.ts";
import { UsageError } from "./exit-code.ts";
import { configFileFrom } from "./resolve-config.ts";

const GATEWAY = "http://gw.test:8080";
const env = { MINDGW_GATEWAY: GATEWAY, MINDGW_CONFIG: "/etc/mindgw/env.yaml", MINDGW_ADMIN_KEY: "mgw_env" };

test("an explicit -c beats MINDGW_GATEWAY, and an explicit --gateway beats MINDGW_CONFIG", () => {
  expect(chooseTarget({ config: "/srv/other.yaml" }, env)).toEqual({
    kind: "local",
    configFile: "/srv/other.yaml",
  });
  expect(chooseTarget({ gateway: "http://other.test/" }, env)).toEqual({
    kind: "gateway",
    url: "http://other.test",
    adminKey: "mgw_env",
  });
});

test("with neither flag: MINDGW_GATEWAY, else MINDGW_CONFIG, else the embedded defaults", () => {
  expect(chooseTarget({}, env)).toEqual({ kind: "gateway", url: GATEWAY, adminKey: "mgw_env" });
  expect(chooseTarget({}, { ...env, MINDGW_GATEWAY: "" })).toEqual({
    kind: "local",
    configFile: "/etc/mindgw/env.yaml",
  });
  expect(chooseTarget({}, {})).toEqual({ kind: "local", configFile: undefined });
});

test("the flag's admin key beats MINDGW_ADMIN_KEY; a gateway without any key is a usage error", () => {
  expect(chooseTarget({ adminKey: "mgw_flag" }, env)).toMatchObject({ adminKey: "mgw_flag" });
  expect(() => chooseTarget({ gateway: GATEWAY }, {})).toThrow(
    new UsageError("--gateway needs --admin-key or MINDGW_ADMIN_KEY"),
  );
  expect(() => chooseTarget({}, { MINDGW_GATEWAY: GATEWAY })).toThrow(
    new UsageError("MINDGW_GATEWAY needs --admin-key or MINDGW_ADMIN_KEY"),
  );
});

test("-c and --gateway together, or a gateway that is no http(s) URL, are usage errors", () => {
  expect(() => chooseTarget({ config: "a.yaml", gateway: GATEWAY, adminKey: "k" }, {})).toThrow(UsageError);
  expect(() => chooseTarget({ gateway: "ftp://gw.test", adminKey: "k" }, {})).toThrow(
    "--gateway: not an http(s) URL: ftp://gw.test",
  );
  expect(() => chooseTarget({}, { MINDGW_GATEWAY: "gw.test:80:1", MINDGW_ADMIN_KEY: "k" })).toThrow(
    "MINDGW_GATEWAY: not an http(s) URL: gw.test:80:1",
  );
});

test("--gateway or --admin-key given empty is a usage error naming the flag, not a fall back to the environment", () => {
  expect(() => chooseTarget({ gateway: "" }, env)).toThrow(new UsageError("--gateway: empty"));
  expect(() => chooseTarget({ gateway: GATEWAY, adminKey: "" }, env)).toThrow(
    new UsageError("--admin-key: empty"),
  );
  expect(() => chooseTarget({ config: "a.yaml", gateway: "" }, env)).toThrow(
    new UsageError("--gateway: empty"),
  );
});

test("-c given empty is a usage error naming it, where it went to MINDGW_GATEWAY's gateway or MINDGW_CONFIG's store", () => {
  expect(() => chooseTarget({ config: "" }, env)).toThrow(new UsageError("-c/--config: empty"));
  expect(() => configFileFrom("", { MINDGW_CONFIG: "/etc/mindgw/env.yaml" })).toThrow(
    new UsageError("-c/--config: empty"),
  );
});

test("a gateway URL with spaces about it (an env file's `MINDGW_GATEWAY=http://gw:8080 `) is the URL it names, not one no request reaches", () => {
  for (const [flags, from] of [
    [{ gateway: " http://gw.test:8080/ " }, {}],
    [{}, { MINDGW_GATEWAY: "http://gw.test:8080\t " }],
  ] as const) {
    expect(chooseTarget(flags, { ...from, MINDGW_ADMIN_KEY: "mgw_env" })).toEqual({
      kind: "gateway",
      url: GATEWAY,
      adminKey: "mgw_env",
    });
  }
});

test("a gateway URL with a query or fragment is a usage error naming where it came from, the query not echoed, where the admin path went after it (the call went to /)", () => {
  for (const gateway of [
    "http://gw.test:8080/?token=s3cret",
    "http://gw.test:8080#s3cret",
    "http://gw.test:8080/mgw?",
  ]) {
    for (const [flags, from, name] of [
      [{ gateway }, {}, "--gateway"],
      [{}, { MINDGW_GATEWAY: gateway }, "MINDGW_GATEWAY"],
    ] as const) {
      let thrown: unknown;
      try {
        chooseTarget(flags, { ...from, MINDGW_ADMIN_KEY: "mgw_env" });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      const message = (thrown as UsageError).message;
      expect(message.startsWith(`${name}: `)).toBe(true);
      expect(message).toContain("query or fragment");
      expect(message).not.toContain("s3cret");
      expect(message).not.toMatch(/[?#]/);
    }
  }
});

import { expect, test } from "bun:test";
import { tailGateway } from "./tail.ts";

test("an empty MINDGW_GATEWAY counts as unset: the local default, as --help says", () => {
  // It was "" and the tail refused: `no gateway URL: pass --gateway or set MINDGW_GATEWAY`, exit 2.
  expect(tailGateway(undefined, { MINDGW_GATEWAY: "" })).toBe("http://127.0.0.1:8080");
  expect(tailGateway(undefined, {})).toBe("http://127.0.0.1:8080");
  expect(tailGateway(undefined, { MINDGW_GATEWAY: "https://gw.example.com" })).toBe("https://gw.example.com");
  expect(tailGateway("http://10.0.0.1:8080", { MINDGW_GATEWAY: "https://gw.example.com" })).toBe(
    "http://10.0.0.1:8080",
  );
  // Given empty on the command line, it is still refused where the URL is checked.
  expect(tailGateway("", {})).toBe("");
});

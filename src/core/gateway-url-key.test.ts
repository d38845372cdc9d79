import { describe, expect, test } from "bun:test";
import { keyInGatewayUrlRefusal } from "./gateway-url-key.ts";

const KEY = "mgw_Q7pXr2LmZ9vB4nKc8TfYh3WdJs6GuA1eRo5iNbVtMqE";

describe("keyInGatewayUrlRefusal", () => {
  test("a gateway URL is taken, with or without an admin key", () => {
    expect(keyInGatewayUrlRefusal("http://gw.internal:8080/mindgw", KEY)).toBeUndefined();
    expect(keyInGatewayUrlRefusal("127.0.0.1:8080", undefined)).toBeUndefined();
  });

  test("the admin key in the URL, in any case, is refused without being named", () => {
    for (const url of [`http://gw/${KEY}`, `http://${KEY.toLowerCase()}:8080`, "http://gw/opensesame1"]) {
      const refusal = keyInGatewayUrlRefusal(url, url.includes("opensesame") ? "OpenSesame1" : KEY);
      expect(refusal).toContain("holds the admin key");
      expect(refusal?.toLowerCase()).not.toContain("opensesame1");
    }
  });

  test("an admin key too short to be a secret is not looked for (an x would refuse every URL with one)", () => {
    expect(keyInGatewayUrlRefusal("http://gw:8080", "gw")).toBeUndefined();
  });

  test("a key's shape where the URL goes (swapped with the admin key) is refused", () => {
    expect(keyInGatewayUrlRefusal(KEY, "http://gw:8080")).toContain("reads as a key");
  });
});

import { describe, expect, test } from "bun:test";
import { keyInGatewayUrlRefusal, keyInUrl } from "./gateway-url-key.ts";

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

describe("keyInUrl", () => {
  /** Ordinary URLs whose host or path starts like a key: `sk-` a site's or a team's prefix. */
  const ORDINARY = [
    "http://sk-inference-server01:8000/v1",
    "https://sk-production-cluster01.example.com",
    "http://gw.example.com/sk-telecom-gateway2/",
    "wss://sk-gateway-eu01.example.com/mindgw?region=sk-west2",
    // With no scheme, as `mindgw tail --gateway` takes a host and port: a short host label is no key.
    "sk-inference-server01:8000",
    "gw.example.com/sk-telecom-gateway2",
    // A name's shape followed by more of the host stays a name: no shape spans its dots.
    "http://sk-inference-server01.eu-west-1.prod.example.com:8000/v1",
  ];
  const UPSTREAM_KEY = "sk-proj-Zq8Xv2Lm9Tb4Nc7Wd1Yh5Rk3Jf6Gs0Pa";

  test("a URL whose host, path or query only starts like a key is taken, for --gateway, --upstream and --connect alike", () => {
    for (const url of ORDINARY) {
      expect({ url, found: keyInUrl(url, [KEY, UPSTREAM_KEY]) }).toEqual({ url, found: undefined });
      expect({ url, refusal: keyInGatewayUrlRefusal(url, KEY) }).toEqual({ url, refusal: undefined });
    }
  });

  test("a key's shape as a path segment, a query value or the user info of a URL is refused; with no scheme, the text as a whole", () => {
    const other = "mgw_Zr8Ks3Pq7Xv2Lm9Tb4Nc7Wd1Yh5Rk3Jf6Gs0PaBcD";
    for (const url of [
      `http://gw.example.com/v1/${UPSTREAM_KEY}`,
      `http://gw.example.com/v1?key=${other}`,
      `http://user:${other}@gw.example.com/`,
      `gw.example.com:8080/v1/${UPSTREAM_KEY}`,
      UPSTREAM_KEY,
      other,
    ])
      expect({ url, found: keyInUrl(url, []) }).toEqual({ url, found: "key-shaped" });
  });

  test("a key's shape as the host, its case kept, with a port or path or a scheme, is refused", () => {
    const other = "sk-proj-Ab8Xv2Lm9Tb4Nc7Wd1Yh5Rk3Jf6Gs0PaQ";
    for (const url of [
      `${other}:8080`,
      `${other}:8000/v1`,
      `http://${other}/v1`,
      `https://${other}.example.com:8443`,
      `wss://user@${other}:443/mindgw`,
      // A shape with dots in it, which no one label holds: Google's OAuth token, a JWT.
      "ya29.a0AfH6SMBxQ7pXr2LmZ9vB4nKc8TfYh3WdJs6GuA1eRo5iNbVtMqE:443",
      "http://eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlX2J5dGVz/v1",
    ])
      expect({ url, found: keyInUrl(url, [KEY]) }).toEqual({ url, found: "key-shaped" });
  });

  test("a key's shape percent-encoded in a path segment or the user info is refused", () => {
    for (const url of [
      `http://gw/v1/Bearer%20${KEY}`,
      `http://gw/v1/${KEY.replace("_", "%5F")}`,
      `http://u:${KEY.replace("_", "%5F")}@gw/`,
    ])
      expect({ url, found: keyInUrl(url, []) }).toEqual({ url, found: "key-shaped" });
    expect(keyInUrl("http://gw/v1/%E0%A4%A", [])).toBeUndefined();
  });

  test("a key's shape percent-escaped in the host (which the URL parser decodes before the resolver sees it) is refused", () => {
    for (const url of [
      `http://${KEY.replace("_", "%5F")}:8080`,
      `http://${KEY.replace("Q", "%51")}/v1`,
      `${KEY.replace("_", "%5f")}:8080`,
      KEY.replace("_", "%5F"),
      `https://${UPSTREAM_KEY.replaceAll("-", "%2D")}.example.com`,
    ])
      expect({ url, found: keyInUrl(url, []) }).toEqual({ url, found: "key-shaped" });
  });

  test("a key held, percent-escaped anywhere in the URL, is refused as held", () => {
    for (const url of [`http://${KEY.replace("_", "%5F")}:8080`, `http://gw/v1/${KEY.replace("Q", "%51")}`])
      expect({ url, found: keyInUrl(url, [KEY]) }).toEqual({ url, found: "holds-key" });
  });

  test("a key's shape in another case than its own, not held, is refused: a host goes to the resolver lowercased", () => {
    for (const key of [KEY, UPSTREAM_KEY])
      for (const url of [
        `http://${key.toUpperCase()}:8080`,
        `http://gw/${key.toUpperCase()}`,
        key.toUpperCase(),
        `http://${key.toLowerCase()}:8080`,
        key.toLowerCase(),
      ])
        expect({ url, found: keyInUrl(url, []) }).toEqual({ url, found: "key-shaped" });
    // Upper case does not make a name a key: still too short.
    expect(keyInUrl("http://SK-INFERENCE-SERVER01:8000/v1", [])).toBeUndefined();
  });

  test("a key held, in any case, anywhere in the URL (its host included) is refused", () => {
    expect(keyInUrl(`http://${KEY.toLowerCase()}:8080`, [KEY])).toBe("holds-key");
    expect(keyInUrl(`http://gw/x/${UPSTREAM_KEY}`, [undefined, UPSTREAM_KEY])).toBe("holds-key");
  });
});

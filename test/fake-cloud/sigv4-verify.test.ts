import { describe, expect, test } from "bun:test";
import { AwsV4Signer } from "aws4fetch";
import { verifySigV4 } from "./sigv4-verify.ts";

// The fake's SigV4 check, against AWS's published test suite (aws-sig-v4-test-suite: get-vanilla,
// post-vanilla, get-vanilla-query-order-key-case) and against what the gateway's signer sends.
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const keyOf = (id: string) => (id === "AKIDEXAMPLE" ? SECRET : undefined);
const SUITE = { service: "service", region: "us-east-1", now: new Date("2015-08-30T12:36:00Z") };
const vector = (method: string, url: string, signature: string) =>
  new Request(url, {
    method,
    headers: {
      host: "example.amazonaws.com",
      "x-amz-date": "20150830T123600Z",
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    },
  });

describe("the fake's SigV4 check", () => {
  test.each([
    [
      "GET",
      "https://example.amazonaws.com/",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ],
    [
      "POST",
      "https://example.amazonaws.com/",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    ],
    [
      "GET",
      "https://example.amazonaws.com/?Param2=value2&Param1=value1",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ],
  ])("AWS's vector %s %s is accepted", (method, url, signature) => {
    expect(verifySigV4(vector(method, url, signature), "", keyOf, SUITE)).toBeUndefined();
  });

  test("a signature of anything else is refused: another body, path, secret, or a time 15 minutes away", () => {
    const good = "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b";
    const post = (url = "https://example.amazonaws.com/") => vector("POST", url, good);
    expect(verifySigV4(post(), "{}", keyOf, SUITE)).toBe("signature does not match");
    expect(verifySigV4(post("https://example.amazonaws.com/x"), "", keyOf, SUITE)).toBe(
      "signature does not match",
    );
    expect(verifySigV4(post(), "", () => "another secret", SUITE)).toBe("signature does not match");
    expect(verifySigV4(post(), "", keyOf, { ...SUITE, now: new Date("2015-08-30T12:51:01Z") })).toBe(
      "signature expired",
    );
    expect(verifySigV4(post(), "", keyOf, { ...SUITE, service: "bedrock" })).toBe(
      "wrong region or service in credential scope",
    );
  });

  test("a Bedrock call as aws4fetch signs it, the model id's colon encoded in its path, is accepted", async () => {
    const signer = new AwsV4Signer({
      method: "POST",
      url: "https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
      headers: { "content-type": "application/json" },
      body: '{"messages":[]}',
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: SECRET,
      sessionToken: "session-1",
      service: "bedrock",
      region: "eu-west-1",
    });
    const signed = await signer.sign();
    const request = new Request(signed.url, { method: signed.method, headers: signed.headers });
    request.headers.set("host", signed.url.host);
    const expected = { service: "bedrock", region: "eu-west-1" };
    expect(verifySigV4(request, '{"messages":[]}', keyOf, expected)).toBeUndefined();
    expect(verifySigV4(request, '{"messages":[1]}', keyOf, expected)).toBe("signature does not match");
  });
});

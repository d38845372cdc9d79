import { expect, test } from "bun:test";
import { awsEndpoint, SIGNIN } from "./aws-endpoint.ts";

// AWS Sign-In's hosts (an `aws login` session's refresh, CreateOAuth2Token: neither a control-plane
// nor an OAuth-with-IAM operation), against its endpoint rules as the AWS SDK for JavaScript
// ships them (@aws-sdk/nested-clients submodules/signin/endpoint/bdd.js) and the Ruby SDK's
// tests generated from them (gems/aws-sdk-signin/spec/endpoint_provider_spec.rb).

const NO_FILES = { AWS_CONFIG_FILE: "/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/c" };
const signIn = (region: string, asked: Record<string, string> = {}) =>
  awsEndpoint(SIGNIN, region, { ...NO_FILES, ...asked }).url;
const FIPS = { AWS_USE_FIPS_ENDPOINT: "true" };
const DUAL_STACK = { AWS_USE_DUALSTACK_ENDPOINT: "true" };

test("each partition's own Sign-In domain, the region first", () => {
  expect(
    [
      "us-east-1",
      "cn-north-1",
      "us-gov-west-1",
      "us-iso-east-1",
      "us-isob-east-1",
      "us-isof-south-1",
      "eu-isoe-west-1",
      "eusc-de-east-1",
    ].map((region) => signIn(region)),
  ).toEqual([
    "https://us-east-1.signin.aws.amazon.com",
    "https://cn-north-1.signin.amazonaws.cn",
    "https://us-gov-west-1.signin.amazonaws-us-gov.com",
    // Before: signin.<the partition's DNS suffix>, a guess (us-iso-east-1.signin.c2s.ic.gov, …).
    "https://us-iso-east-1.signin.c2shome.ic.gov",
    "https://us-isob-east-1.signin.sc2shome.sgov.gov",
    "https://us-isof-south-1.signin.csphome.hci.ic.gov",
    "https://eu-isoe-west-1.signin.csphome.adc-e.uk",
    "https://eusc-de-east-1.signin.amazonaws-eusc.eu",
  ]);
});

test("FIPS: signin-fips before the region, GovCloud's its own (us-gov-west-1's without a region)", () => {
  // Before: FIPS ignored, the regional host asked.
  expect(["us-east-1", "cn-north-1", "us-gov-west-1", "us-gov-east-1"].map((r) => signIn(r, FIPS))).toEqual([
    "https://signin-fips.us-east-1.amazonaws.com",
    "https://signin-fips.cn-north-1.amazonaws.com.cn",
    "https://signin-fips.amazonaws-us-gov.com",
    "https://us-gov-east-1.signin-fips.amazonaws-us-gov.com",
  ]);
});

test("dual-stack, and FIPS with it: the partition's dual-stack suffix, GovCloud's too", () => {
  expect(["us-east-1", "cn-north-1", "us-gov-west-1"].map((r) => signIn(r, DUAL_STACK))).toEqual([
    "https://signin.us-east-1.api.aws",
    "https://signin.cn-north-1.api.amazonwebservices.com.cn",
    "https://signin.us-gov-west-1.api.aws",
  ]);
  expect(["eu-west-3", "us-gov-west-1"].map((r) => signIn(r, { ...FIPS, ...DUAL_STACK }))).toEqual([
    "https://signin-fips.eu-west-3.api.aws",
    "https://signin-fips.us-gov-west-1.api.aws",
  ]);
});

test("FIPS or dual-stack beside Sign-In's configured endpoint is refused, as the rules refuse it", () => {
  const refused = awsEndpoint(SIGNIN, "us-east-1", {
    ...NO_FILES,
    ...FIPS,
    AWS_ENDPOINT_URL_SIGNIN: "https://signin.example.com",
  }).refused;
  expect(refused).toContain("FIPS and a custom endpoint are not supported together");
});

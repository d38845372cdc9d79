import { expect, test } from "bun:test";
import { onGoogleCloud } from "./google-cloud-residency.ts";

const googleBios = () => "Google\n";
const otherBios = () => "SeaBIOS\n";

test("Google Cloud by its variables or its BIOS vendor; MINDGW_ON_GOOGLE_CLOUD says it instead, the BIOS unread", () => {
  expect(onGoogleCloud({}, googleBios)).toBe(true);
  expect(onGoogleCloud({}, otherBios)).toBe(false);
  expect(onGoogleCloud({ K_SERVICE: "svc" }, otherBios)).toBe(true);
  expect(onGoogleCloud({ GCE_METADATA_HOST: "127.0.0.1:1" }, otherBios)).toBe(true);
  // A GCE runner's BIOS, or a host that hides it: the variable wins.
  const unread = () => {
    throw new Error("the BIOS vendor was read");
  };
  expect(onGoogleCloud({ MINDGW_ON_GOOGLE_CLOUD: "false" }, unread)).toBe(false);
  expect(onGoogleCloud({ MINDGW_ON_GOOGLE_CLOUD: "false", K_SERVICE: "svc" }, unread)).toBe(false);
  expect(onGoogleCloud({ MINDGW_ON_GOOGLE_CLOUD: "TRUE" }, unread)).toBe(true);
  // Anything else leaves the detection as it was.
  expect(onGoogleCloud({ MINDGW_ON_GOOGLE_CLOUD: "maybe" }, googleBios)).toBe(true);
});

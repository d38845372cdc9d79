import { expect, test } from "bun:test";
import { credentialsSource, gcloudAdcFile } from "./credentials-source.ts";

const nothing = () => false;

test("gcloud's ADC file: CLOUDSDK_CONFIG first, else ~/.config/gcloud, %APPDATA%\\gcloud on Windows; none without a home", () => {
  const FILE = "application_default_credentials.json";
  expect(gcloudAdcFile({ CLOUDSDK_CONFIG: "/etc/gcloud", HOME: "/home/gw" }, "linux")).toBe(
    `/etc/gcloud/${FILE}`,
  );
  expect(gcloudAdcFile({ HOME: "/home/gw" }, "linux")).toBe(`/home/gw/.config/gcloud/${FILE}`);
  expect(gcloudAdcFile({ HOME: "/Users/gw" }, "darwin")).toBe(`/Users/gw/.config/gcloud/${FILE}`);
  expect(gcloudAdcFile({ APPDATA: "C:/Users/gw/AppData/Roaming" }, "win32")).toContain("gcloud");
  expect(gcloudAdcFile({ HOME: "/home/gw" }, "win32")).toBeUndefined();
  expect(gcloudAdcFile({}, "linux")).toBeUndefined();
});

test("the order Google's libraries look in: config, GOOGLE_APPLICATION_CREDENTIALS, gcloud's file if it is there, the metadata server", () => {
  const env = { GOOGLE_APPLICATION_CREDENTIALS: "/etc/adc.json", HOME: "/home/gw" };
  const all = () => true;
  expect(credentialsSource("/etc/sa.json", env, "linux", all)).toEqual({
    kind: "file",
    file: { source: "/etc/sa.json", label: "the service_account file" },
  });
  expect(credentialsSource('{"client_email":"a"}', env, "linux", all)).toMatchObject({
    file: { label: "the inline service_account" },
  });
  expect(credentialsSource(undefined, env, "linux", all)).toEqual({
    kind: "file",
    file: { source: "/etc/adc.json", label: "the GOOGLE_APPLICATION_CREDENTIALS file" },
  });
  const adc = "/home/gw/.config/gcloud/application_default_credentials.json";
  expect(credentialsSource(undefined, { HOME: "/home/gw" }, "linux", (path) => path === adc)).toEqual({
    kind: "file",
    file: { source: adc, label: "gcloud's application default credentials file" },
  });
  expect(credentialsSource(undefined, { HOME: "/home/gw" }, "linux", nothing)).toEqual({
    kind: "metadata",
    tried:
      "no service_account in config, GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud application default credentials file",
    wellKnown: adc,
  });
});

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorText } from "../../audit/redact-body.ts";
import { describeError } from "../../core/describe-error.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { providerCall } from "../../testing/provider-call.ts";
import type { ProviderCall } from "../provider.ts";
import { createGoogleProvider, vertexEndpoint } from "./gemini-provider.ts";
import { vertexToken } from "./vertex-token.ts";

// One loopback fake for what workload identity federation calls: a credential_source URL
// (/subject), Google's STS (/sts), IAM Credentials' generateAccessToken (/impersonate) and
// Vertex AI (/v1/...). Each request is recorded as it came.
interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}
const seen: Seen[] = [];
/** What the next STS and impersonation answers are, when a test says; else fresh tokens. */
let stsAnswer: (() => Response) | undefined;
let impersonationAnswer: (() => Response) | undefined;
let minted = 0;
const google = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    seen.push({
      method: request.method,
      path: url.pathname,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
    if (url.pathname === "/subject") return Response.json({ id_token: "eyJ.from-url.sig" });
    if (url.pathname === "/sts") {
      if (stsAnswer) return stsAnswer();
      minted += 1;
      return Response.json({
        access_token: `ya29.sts-${minted}`,
        issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
        token_type: "Bearer",
        expires_in: 3599,
      });
    }
    if (url.pathname.endsWith(":generateAccessToken")) {
      if (impersonationAnswer) return impersonationAnswer();
      minted += 1;
      return Response.json({ accessToken: `ya29.sa-${minted}`, expireTime: "2026-12-06T11:00:00Z" });
    }
    if (request.headers.get("authorization") === "Bearer ya29.sa-1")
      return Response.json({ error: { code: 401, status: "UNAUTHENTICATED" } }, { status: 401 });
    return Response.json({
      candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
    });
  },
});
const origin = `http://127.0.0.1:${google.port}`;
const dir = mkdtempSync(join(tmpdir(), "mindgw-external-account-"));
afterAll(() => {
  google.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  seen.length = 0;
  stsAnswer = undefined;
  impersonationAnswer = undefined;
  minted = 0;
});

const AUDIENCE =
  "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/k8s";
const IMPERSONATE = "/v1/projects/-/serviceAccounts/gw@acme.iam.gserviceaccount.com:generateAccessToken";
const subjectFile = join(dir, "token");
writeFileSync(subjectFile, "eyJ.from-file.sig");

/** An external_account ADC file pointing at the fake, `extra` over its fields. */
const adcFile = (name: string, extra: object = {}) => {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      type: "external_account",
      audience: AUDIENCE,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      token_url: `${origin}/sts`,
      credential_source: { file: subjectFile },
      ...extra,
    }),
  );
  return file;
};

const clock = { now: Date.parse("2026-12-06T10:00:00Z") };
const vertexOn = (env: Record<string, string>) => {
  const token = vertexToken({ provider: "vx", serviceAccount: undefined, env, now: () => clock.now });
  return createGoogleProvider({
    name: "vx",
    vendor: "gcp.vertex_ai",
    endpoint: vertexEndpoint("acme", "us-central1", origin, token),
  });
};
const chat = (): ProviderCall =>
  providerCall({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] });
const messageOf = async (file: string) =>
  (
    await failureOf(
      vertexToken({
        provider: "vx",
        serviceAccount: undefined,
        env: { GOOGLE_APPLICATION_CREDENTIALS: file },
      }).get(),
    )
  ).message;
const form = (entry: Seen | undefined) => Object.fromEntries(new URLSearchParams(entry?.body));
const at = (path: string) => seen.filter((entry) => entry.path === path);
const vertexCalls = () => seen.filter((entry) => entry.path.startsWith("/v1/projects/acme"));

describe("an external_account ADC file (workload identity federation)", () => {
  test("file source, text: the subject token is exchanged at token_url as google-auth-library asks, then the service account impersonated; its token is Vertex's bearer, quota_project_id its x-goog-user-project", async () => {
    const provider = vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: adcFile("wif.json", {
        service_account_impersonation_url: `${origin}${IMPERSONATE}`,
        quota_project_id: "billing",
      }),
    });
    await provider.call(chat());
    await provider.call(chat());
    expect(seen.map((entry) => [entry.method, entry.path])).toEqual([
      ["POST", "/sts"],
      ["POST", IMPERSONATE],
      [
        "POST",
        "/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
      ],
      [
        "POST",
        "/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
      ],
    ]);
    const sts = at("/sts")[0];
    expect(sts?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(sts?.headers.authorization).toBeUndefined();
    expect(form(sts)).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      audience: AUDIENCE,
      scope: "https://www.googleapis.com/auth/cloud-platform",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token: "eyJ.from-file.sig",
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    });
    const impersonation = at(IMPERSONATE)[0];
    expect(impersonation?.headers.authorization).toBe("Bearer ya29.sts-1");
    expect(impersonation?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(impersonation?.body ?? "")).toEqual({
      scope: ["https://www.googleapis.com/auth/cloud-platform"],
      lifetime: "3600s",
    });
    expect(
      vertexCalls().map((call) => [call.headers.authorization, call.headers["x-goog-user-project"]]),
    ).toEqual([
      ["Bearer ya29.sa-2", "billing"],
      ["Bearer ya29.sa-2", "billing"],
    ]);
  });

  test("url source, json: GET with the file's headers, the token read from subject_token_field_name; without impersonation STS's token is the bearer", async () => {
    await vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: adcFile("url.json", {
        credential_source: {
          url: `${origin}/subject`,
          headers: { Metadata: "True" },
          format: { type: "json", subject_token_field_name: "id_token" },
        },
      }),
    }).call(chat());
    expect(seen.map((entry) => [entry.method, entry.path])).toEqual([
      ["GET", "/subject"],
      ["POST", "/sts"],
      [
        "POST",
        "/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
      ],
    ]);
    expect(at("/subject")[0]?.headers.metadata).toBe("True");
    expect(form(at("/sts")[0]).subject_token).toBe("eyJ.from-url.sig");
    expect(vertexCalls()[0]?.headers.authorization).toBe("Bearer ya29.sts-1");
  });

  test("a token Vertex refuses is exchanged again, through the one credential cache; token_lifetime_seconds asked for", async () => {
    const provider = vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: adcFile("refused.json", {
        service_account_impersonation_url: `${origin}${IMPERSONATE}`,
        service_account_impersonation: { token_lifetime_seconds: 600 },
      }),
    });
    minted = -1; // the first impersonated token is ya29.sa-1, which Vertex refuses
    expect((await provider.call(chat())).kind).toBe("json");
    expect(at("/sts").length).toBe(2);
    expect(JSON.parse(at(IMPERSONATE)[0]?.body ?? "").lifetime).toBe("600s");
    expect(vertexCalls().map((call) => call.headers.authorization)).toEqual([
      "Bearer ya29.sa-1",
      "Bearer ya29.sa-3",
    ]);
  });

  test("client_id and client_secret authenticate the exchange (Basic); workforce_pool_user_project goes in its options", async () => {
    await vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: adcFile("client.json", {
        client_id: "cid",
        client_secret: "csecret-1",
      }),
    }).call(chat());
    expect(at("/sts")[0]?.headers.authorization).toBe(`Basic ${btoa("cid:csecret-1")}`);
    seen.length = 0;
    await vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: adcFile("workforce.json", {
        audience: "//iam.googleapis.com/locations/global/workforcePools/wf/providers/oidc",
        workforce_pool_user_project: "proj-9",
      }),
    }).call(chat());
    expect(form(at("/sts")[0]).options).toBe(JSON.stringify({ userProject: "proj-9" }));
  });

  test("the exchange's and the impersonation's refusals are said, naming neither path nor token", async () => {
    stsAnswer = () =>
      Response.json(
        { error: "invalid_grant", error_description: "The audience in ID Token does not match" },
        { status: 400 },
      );
    expect(await messageOf(adcFile("sts.json"))).toBe(
      "could not get credentials for upstream vx: the STS token endpoint answered 400: invalid_grant",
    );
    stsAnswer = undefined;
    impersonationAnswer = () =>
      Response.json(
        {
          error: {
            code: 403,
            message: "Permission 'iam.serviceAccounts.getAccessToken' denied",
            status: "PERMISSION_DENIED",
          },
        },
        { status: 403 },
      );
    expect(
      await messageOf(adcFile("iam.json", { service_account_impersonation_url: `${origin}${IMPERSONATE}` })),
    ).toBe(
      "could not get credentials for upstream vx: the service account impersonation endpoint answered 403: the federated identity may not impersonate the service account (it needs roles/iam.workloadIdentityUser on it)",
    );
    expect(
      await messageOf(adcFile("nofile.json", { credential_source: { file: join(dir, "absent-token") } })),
    ).toBe("could not get credentials for upstream vx: the credential_source file does not exist");
    expect(
      await messageOf(
        adcFile("nofield.json", {
          credential_source: {
            url: `${origin}/subject`,
            format: { type: "json", subject_token_field_name: "token" },
          },
        }),
      ),
    ).toBe(
      "could not get credentials for upstream vx: the credential_source URL sent no subject token in its 'token' field",
    );
  });

  test("sources the gateway does not take are refused by name before anything is asked: aws1, executable, certificate; a file missing what it needs is said", async () => {
    const refused = async (name: string, extra: object) =>
      (await messageOf(adcFile(name, extra))).replace(
        "could not get credentials for upstream vx: the GOOGLE_APPLICATION_CREDENTIALS file ",
        "",
      );
    expect(
      await refused("aws.json", {
        subject_token_type: "urn:ietf:params:aws:token-type:aws4_request",
        credential_source: {
          environment_id: "aws1",
          regional_cred_verification_url:
            "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
        },
      }),
    ).toBe(
      "is an external_account sourced from AWS (credential_source.environment_id aws1), which is not supported: only a file or url credential_source is; on AWS use a service-account key",
    );
    expect(await refused("exec.json", { credential_source: { executable: { command: "/bin/token" } } })).toBe(
      "is an external_account sourced from an executable (credential_source.executable), which is not supported: only a file or url credential_source is; have the program write the token to a file and name that file",
    );
    expect(
      await refused("cert.json", {
        credential_source: { certificate: { use_default_certificate_config: true } },
      }),
    ).toBe(
      "is an external_account sourced from an X.509 certificate (credential_source.certificate), which is not supported: only a file or url credential_source is",
    );
    expect(
      await refused("both.json", { credential_source: { file: subjectFile, url: `${origin}/subject` } }),
    ).toBe("is an external_account whose credential_source has both a file and a url: it needs one");
    expect(
      await refused("json.json", { credential_source: { file: subjectFile, format: { type: "json" } } }),
    ).toBe("is an external_account whose credential_source.format json names no subject_token_field_name");
    expect(await refused("bare.json", { audience: undefined })).toBe(
      "is no external_account credential (it needs audience, subject_token_type and credential_source)",
    );
    expect(seen).toEqual([]);
  });
});

test("an STS refusal quoting the subject token, an opaque one of no known shape, never puts it in a log line: the access line's detail, the route's and the refresh's warnings", async () => {
  const opaque = join(dir, "opaque-token");
  const token = "opaqueSUBJECTtoken0123456789";
  writeFileSync(opaque, token);
  stsAnswer = () =>
    Response.json(
      { error: "invalid_grant", error_description: `The subject token ${token} is invalid` },
      { status: 400 },
    );
  const provider = vertexOn({
    GOOGLE_APPLICATION_CREDENTIALS: adcFile("opaque.json", { credential_source: { file: opaque } }),
  });
  const error = await failureOf(provider.call(chat()));
  expect(error.detail).toContain("The subject token");
  // What the access line (its reason and detail) and every logged error (describeError) write.
  expect(errorText(error.detail ?? "", true)).toBe("The subject token [redacted] is invalid");
  expect(describeError(error)).not.toContain(token);
  expect(errorText(error.message, true)).not.toContain(token);
});

import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayError } from "../../core/gateway-error.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

// Two container credentials endpoints on loopback, as ECS and EKS Pod Identity answer: `full`
// plays AWS_CONTAINER_CREDENTIALS_FULL_URI's (it answers 500 while `fullDown`), `ecs` plays ECS's
// 169.254.170.2, which no test can listen on: the fetch given the chain sends that host's requests
// to it, and every other as it is.
const heard: { endpoint: string; path: string; authorization: string | null }[] = [];
let fullDown = false;
const keys = (id: string) => ({
  AccessKeyId: id,
  SecretAccessKey: "s",
  Token: "t",
  Expiration: new Date(Date.now() + 3_600_000).toISOString(),
  RoleArn: "arn:aws:iam::123456789012:role/task",
});
const endpoint = (name: string, answer: () => Response) =>
  Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      heard.push({ endpoint: name, path, authorization: request.headers.get("authorization") });
      return answer();
    },
  });
const full = endpoint("full", () =>
  fullDown
    ? Response.json({ code: "InternalError", message: "agent restarting" }, { status: 500 })
    : Response.json(keys("ASIAFULL")),
);
const ecs = endpoint("ecs", () => Response.json(keys("ASIAECS")));
/** What `flaky` answers, one a request, in order (keys once they run out); "hang": no answer until the test ends. */
const script: ("500" | "403" | "hang")[] = [];
const hanging: (() => void)[] = [];
/** What `flaky` changes in the keys it sends: a field undefined is left out. */
let altered: Record<string, string | undefined> = {};
const flaky = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    heard.push({
      endpoint: "flaky",
      path: new URL(request.url).pathname,
      authorization: request.headers.get("authorization"),
    });
    const next = script.shift();
    if (next === "hang")
      return new Promise<Response>((resolve) =>
        hanging.push(() => resolve(new Response(null, { status: 504 }))),
      );
    if (next !== undefined) return Response.json({ code: "Unavailable" }, { status: Number(next) });
    return Response.json({ ...keys("ASIAFLAKY"), ...altered });
  },
});
/** The waits between tries, recorded and not slept: the chain is given this `pause`. */
const paused: number[] = [];
const pause = async (ms: number) => {
  paused.push(ms);
};
const viaLoopback = ((input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname === "169.254.170.2") url.host = `127.0.0.1:${ecs.port}`;
  // EKS Pod Identity's agent: `flaky` plays it.
  if (url.hostname === "169.254.170.23") url.host = `127.0.0.1:${flaky.port}`;
  return fetch(url, init);
}) as typeof fetch;
const dir = mkdtempSync(join(tmpdir(), "container-credentials-"));
const tokenFile = join(dir, "eks-pod-identity-token");
writeFileSync(tokenFile, "file-token\n");
afterAll(() => {
  flaky.stop(true);
  full.stop(true);
  ecs.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  heard.length = 0;
  fullDown = false;
  paused.length = 0;
  script.length = 0;
  altered = {};
});
afterEach(() => {
  for (const answer of hanging.splice(0)) answer();
});

// No ~/.aws of the host's: the shared files are none.
const NO_FILES = { AWS_CONFIG_FILE: "/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/c" };
const fromContainer = (env: Record<string, string>) =>
  awsCredentialSource({
    provider: "br",
    region: "us-east-1",
    config: {},
    env: { ...NO_FILES, ...env },
    fetch: viaLoopback,
    pause,
  }).get();
/** Between the words of fromHttp's last failure and fromContainerMetadata's, when both fail. */
const BOTH_TRIES = "(fromHttp's four tries), and asked once more (fromContainerMetadata's one):";
const FULL = () => `http://127.0.0.1:${full.port}/v1/credentials`;
const flakyUri = () => `http://127.0.0.1:${flaky.port}/v1/credentials`;

describe("the container credentials endpoint, as the AWS SDK for JavaScript asks it", () => {
  // @aws-sdk/credential-provider-http since aws/aws-sdk-js-v3#8159 (2026-07): _RELATIVE_URI over
  // FULL_URI ("awsContainerCredentialsRelativeUri will take precedence"), the token file over the
  // token, as the SDKs' reference and botocore have them.
  const BOTH = {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/task-id",
  };

  test("both URIs set: ECS's _RELATIVE_URI is asked, FULL_URI never", async () => {
    // Before: FULL_URI asked first.
    const env = {
      ...BOTH,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: FULL(),
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "env-token",
    };
    expect(await fromContainer(env)).toEqual({
      accessKeyId: "ASIAECS",
      secretAccessKey: "s",
      sessionToken: "t",
    });
    expect(heard).toEqual([{ endpoint: "ecs", path: "/v2/credentials/task-id", authorization: "env-token" }]);
  });

  test("both tokens set: the file's is sent, to _RELATIVE_URI as to FULL_URI", async () => {
    const tokens = {
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "env-token",
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    };
    expect(
      await fromContainer({ ...BOTH, AWS_CONTAINER_CREDENTIALS_FULL_URI: FULL(), ...tokens }),
    ).toMatchObject({
      accessKeyId: "ASIAECS",
    });
    expect(await fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: FULL(), ...tokens })).toMatchObject({
      accessKeyId: "ASIAFULL",
    });
    expect(heard.map((one) => [one.endpoint, one.authorization])).toEqual([
      ["ecs", "file-token"],
      ["full", "file-token"],
    ]);
  });

  test("_RELATIVE_URI failing is the failure, its own, after its four tries and the one more: FULL_URI is not fallen back to", async () => {
    const failing = ((input: string | URL | Request, init?: RequestInit) =>
      String(input).includes("169.254.170.2")
        ? Promise.resolve(new Response("no", { status: 404 }))
        : viaLoopback(input, init)) as typeof fetch;
    const error = await awsCredentialSource({
      provider: "br",
      region: "us-east-1",
      config: {},
      env: { ...NO_FILES, ...BOTH, AWS_CONTAINER_CREDENTIALS_FULL_URI: FULL() },
      fetch: failing,
      pause,
    })
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toBe(
      `could not get credentials for upstream br: the container credentials endpoint answered 404 ${BOTH_TRIES} the container credentials endpoint answered 404`,
    );
    expect(heard).toEqual([]);
    expect(paused).toEqual([1_000, 1_000, 1_000]);
  });

  test("a FULL_URI that would be refused (plain http off loopback) is not read while _RELATIVE_URI is set: the SDK checks the URL it asks", async () => {
    const got = await fromContainer({ ...BOTH, AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://10.1.2.3/creds" });
    expect(got).toMatchObject({ accessKeyId: "ASIAECS" });
    const alone = await fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://10.1.2.3/creds" }).catch(
      (e: unknown) => e,
    );
    expect((alone as GatewayError).message).toContain("AWS_CONTAINER_CREDENTIALS_FULL_URI is plain http");
    expect(heard.map((one) => one.endpoint)).toEqual(["ecs"]);
  });

  test("a token file that cannot be read is a failed try: after four, the failure, nothing asked, not even once more (fromHttp's fs.readFile error ends the SDK's chain)", async () => {
    const error = await fromContainer({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: FULL(),
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/task-id",
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, "absent"),
    }).catch((e: unknown) => e);
    expect((error as GatewayError).message).toBe(
      "could not get credentials for upstream br: the container authorization token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) could not be read",
    );
    expect(heard).toEqual([]);
    expect(paused).toEqual([1_000, 1_000, 1_000]);
  });

  test("FULL_URI alone, failing: the failure is its own after its four tries and the one more (no ECS endpoint asked)", async () => {
    fullDown = true;
    const error = await fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: FULL() }).catch(
      (e: unknown) => e,
    );
    expect((error as GatewayError).message).toBe(
      `could not get credentials for upstream br: the container credentials endpoint answered 500 ${BOTH_TRIES} the container credentials endpoint answered 500`,
    );
    expect(heard.map((one) => one.endpoint)).toEqual(["full", "full", "full", "full", "full"]);
  });
});

describe("fromHttp's tries, as @aws-sdk/credential-provider-http makes them: four (maxRetries 3), a second each (timeout 1000), a second apart", () => {
  test("an endpoint that fails (a 500, then no answer within its second) answers on the third try; a second's pause before each try again", async () => {
    script.push("500", "hang");
    // Before: one ask of ten seconds, its 500 the failure.
    expect(await fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri() })).toMatchObject({
      accessKeyId: "ASIAFLAKY",
    });
    expect(heard.map((one) => one.endpoint)).toEqual(["flaky", "flaky", "flaky"]);
    expect(paused).toEqual([1_000, 1_000]);
  });

  test("one that keeps failing is asked four times, the token sent each time, and its last failure is the call's first words", async () => {
    script.push("500", "500", "500", "403", "500");
    const error = await fromContainer({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri(),
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "env-token",
    }).catch((e: unknown) => e);
    expect((error as GatewayError).message).toBe(
      `could not get credentials for upstream br: the container credentials endpoint answered 403 ${BOTH_TRIES} the container credentials endpoint answered 500`,
    );
    expect(heard.map((one) => one.authorization)).toEqual([
      "env-token",
      "env-token",
      "env-token",
      "env-token",
      "env-token",
    ]);
    expect(paused).toEqual([1_000, 1_000, 1_000]);
  });

  test("the token file is read at each try, as fromHttp reads it inside its retry: one written while the first try waits is sent by the second", async () => {
    const late = join(dir, "written-late");
    const error = await awsCredentialSource({
      provider: "br",
      region: "us-east-1",
      config: {},
      env: {
        ...NO_FILES,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri(),
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: late,
      },
      fetch: viaLoopback,
      // The agent writes the token during the first pause.
      pause: async (ms) => {
        paused.push(ms);
        writeFileSync(late, "late-token\n");
      },
    })
      .get()
      .catch((e: unknown) => e);
    // Before: read once before the tries, its failure the call's.
    expect(error).toMatchObject({ accessKeyId: "ASIAFLAKY" });
    expect(heard.map((one) => one.authorization)).toEqual(["late-token"]);
    expect(paused).toEqual([1_000]);
  });
});

describe("fromContainerMetadata, the SDK chain's second link (@smithy/credential-provider-imds): asked once more after fromHttp's four tries failed", () => {
  const failing = ["500", "500", "500", "500"] as const;

  test("it answers: its keys sign; asked once, at once (no pause), with AWS_CONTAINER_AUTHORIZATION_TOKEN alone, never the token file's", async () => {
    script.push(...failing);
    const got = await fromContainer({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri(),
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "env-token",
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    });
    // Before: fromHttp's fourth 500 was the call's failure.
    expect(got).toMatchObject({ accessKeyId: "ASIAFLAKY" });
    expect(heard.map((one) => one.authorization)).toEqual([
      "file-token",
      "file-token",
      "file-token",
      "file-token",
      "env-token",
    ]);
    expect(paused).toEqual([1_000, 1_000, 1_000]);
  });

  test("the token file alone: the one more ask sends no authorization", async () => {
    script.push(...failing);
    await fromContainer({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri(),
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    });
    expect(heard.map((one) => one.authorization)).toEqual([
      "file-token",
      "file-token",
      "file-token",
      "file-token",
      null,
    ]);
  });

  test("given its second and no more (timeout 1000, maxRetries 0): one that does not answer is the failure, both tries named", async () => {
    script.push(...failing, "hang");
    const error = await fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri() }).catch(
      (e: unknown) => e,
    );
    expect((error as GatewayError).message).toBe(
      `could not get credentials for upstream br: the container credentials endpoint answered 500 ${BOTH_TRIES} the container credentials endpoint did not answer within 1 s`,
    );
    expect(heard).toHaveLength(5);
    expect(paused).toEqual([1_000, 1_000, 1_000]);
  });

  test("a FULL_URI host other than localhost or 127.0.0.1 (EKS Pod Identity's 169.254.170.23 here) is refused before it is sent anything", async () => {
    script.push(...failing);
    const error = await fromContainer({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials",
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "env-token",
    }).catch((e: unknown) => e);
    expect((error as GatewayError).message).toBe(
      `could not get credentials for upstream br: the container credentials endpoint answered 500 ${BOTH_TRIES} it asks a FULL_URI only at localhost or 127.0.0.1, not 169.254.170.23`,
    );
    expect(heard.map((one) => one.endpoint)).toEqual(["flaky", "flaky", "flaky", "flaky"]);
  });

  test.each([
    ["alone", {}],
    ["with a FULL_URI it would refuse", { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1" }],
  ])("_RELATIVE_URI set %s: ECS's 169.254.170.2 is asked once more", async (_, more) => {
    let asked = 0;
    const ecsDownFourTimes = ((input: string | URL | Request, init?: RequestInit) =>
      String(input).includes("169.254.170.2") && ++asked <= 4
        ? Promise.resolve(new Response("no", { status: 503 }))
        : viaLoopback(input, init)) as typeof fetch;
    const got = await awsCredentialSource({
      provider: "br",
      region: "us-east-1",
      config: {},
      env: { ...NO_FILES, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/task-id", ...more },
      fetch: ecsDownFourTimes,
      pause,
    }).get();
    expect(got).toMatchObject({ accessKeyId: "ASIAECS" });
    expect(heard.map((one) => [one.endpoint, one.path])).toEqual([["ecs", "/v2/credentials/task-id"]]);
  });

  test("a FULL_URI fromHttp refuses (plain http off loopback) is not asked once more either: the SDK's fromHttp throws while the chain is built", async () => {
    const error = await fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://10.1.2.3/creds" }).catch(
      (e: unknown) => e,
    );
    expect((error as GatewayError).message).not.toContain("once more");
    expect(paused).toEqual([]);
  });
});

describe("keys without Token or Expiration, refused as the AWS SDK for JavaScript refuses them", () => {
  // @aws-sdk/credential-provider-http requestHelpers getCredentials and
  // @smithy/credential-provider-imds isImdsCredentials: AccessKeyId, SecretAccessKey, Token and
  // Expiration, strings, or a CredentialsProviderError, which fromHttp's retry tries again and
  // the chain moves past to fromContainerMetadata.
  test("an endpoint's keys without Expiration: fromHttp's four tries and the one more, then the 502 naming what was missing", async () => {
    altered = { Expiration: undefined };
    const error = await fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri() }).catch(
      (e: unknown) => e,
    );
    // Before: the keys taken, their expiry guessed an hour on.
    const lacking =
      "the container credentials endpoint sent keys without Expiration, which the AWS SDKs refuse";
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toBe(
      `could not get credentials for upstream br: ${lacking} ${BOTH_TRIES} ${lacking}`,
    );
    expect(heard.map((one) => one.endpoint)).toEqual(["flaky", "flaky", "flaky", "flaky", "flaky"]);
  });

  test("without Token and Expiration (static keys): both named", async () => {
    altered = { Token: undefined, Expiration: undefined };
    const error = await failureOf(fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri() }));
    expect(error.message).toEndWith(
      "the container credentials endpoint sent keys without Token and Expiration, which the AWS SDKs refuse",
    );
  });

  test("an Expiration that is no date is refused too (fromHttp's parseRfc3339DateTime throws on it)", async () => {
    altered = { Expiration: "tomorrow" };
    const error = await failureOf(fromContainer({ AWS_CONTAINER_CREDENTIALS_FULL_URI: flakyUri() }));
    expect(error.message).toEndWith(
      "the container credentials endpoint sent an Expiration that is no date (tomorrow)",
    );
  });
});

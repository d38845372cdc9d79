import { afterAll, afterEach, beforeEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { awsCredentialSource } from "../providers/bedrock/aws-credentials.ts";

/** One request the fake heard: its method, path and the headers the tests read. */
export interface Heard {
  method: string;
  path: string;
  headers: Record<string, string | null>;
}

/** The instance profile's role the fake names. */
export const ROLE = "mindgw-node-role";

/**
 * EC2 instance metadata on loopback, IMDSv2 as it answers with `HttpTokens: required`: a session
 * token for a PUT that says its TTL (400 without), every GET without a session token it issued
 * refused 401; the instance profile's role under security-credentials/ (404 when `noRole`, as an
 * instance without a profile answers), then its keys. Beside it, Bedrock's runtime, which records
 * the signature each call came with. Started when called, stopped after the file's tests; `imds`
 * is set by a test and put back before the next; `sessions` counts the session tokens issued.
 */
export function fakeImds() {
  const heard: Heard[] = [];
  const imds = {
    noRole: false,
    keys: undefined as unknown,
    /** The token PUT's status instead of a token (403, 404, 405 where IMDSv2 is off, 400), or "hang" (a hop limit of 1 seen from a container: the answer never comes back). */
    token: undefined as number | "hang" | undefined,
    /** `HttpTokens: optional`: GETs without a session token are answered (IMDSv1). */
    v1: false,
  };
  let sessions = 0;
  /** The token PUTs left hanging, answered at each test's end. */
  const hanging: (() => void)[] = [];

  const fake = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const { pathname } = new URL(request.url);
      const header = (name: string) => request.headers.get(name);
      heard.push({
        method: request.method,
        path: pathname,
        headers: {
          "x-aws-ec2-metadata-token-ttl-seconds": header("x-aws-ec2-metadata-token-ttl-seconds"),
          "x-aws-ec2-metadata-token": header("x-aws-ec2-metadata-token"),
          authorization: header("authorization"),
          "x-amz-security-token": header("x-amz-security-token"),
        },
      });
      if (pathname === "/latest/api/token") {
        if (request.method !== "PUT") return new Response(null, { status: 405 });
        const token = imds.token;
        if (token === "hang")
          return new Promise<Response>((resolve) =>
            hanging.push(() => resolve(new Response(null, { status: 504 }))),
          );
        if (token !== undefined) return new Response(null, { status: token });
        if (!header("x-aws-ec2-metadata-token-ttl-seconds")) return new Response(null, { status: 400 });
        sessions += 1;
        return new Response(`session-${sessions}`);
      }
      if (pathname.startsWith("/latest/")) {
        const token = header("x-aws-ec2-metadata-token");
        if (token === null ? !imds.v1 : !/^session-\d+$/.test(token))
          return new Response(null, { status: 401 });
        if (pathname === "/latest/meta-data/iam/security-credentials/")
          return imds.noRole ? new Response("not found", { status: 404 }) : new Response(ROLE);
        if (pathname === `/latest/meta-data/iam/security-credentials/${ROLE}`)
          return Response.json(
            imds.keys ?? {
              Code: "Success",
              LastUpdated: "2026-12-06T04:00:00Z",
              Type: "AWS-HMAC",
              AccessKeyId: "ASIAEC2ROLE",
              SecretAccessKey: "ec2-secret",
              Token: "ec2-session-token",
              Expiration: new Date(Date.now() + 3_600_000).toISOString(),
            },
          );
        return new Response("not found", { status: 404 });
      }
      if (pathname.startsWith("/model/")) return Response.json({});
      return new Response("not found", { status: 404 });
    },
  });
  const origin = `http://127.0.0.1:${fake.port}`;
  afterAll(() => fake.stop(true));
  const dir = mkdtempSync(join(tmpdir(), "mindgw-imds-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    heard.length = 0;
    imds.noRole = false;
    imds.keys = undefined;
    imds.token = undefined;
    imds.v1 = false;
  });
  afterEach(() => {
    for (const answer of hanging.splice(0)) answer();
  });

  const onEc2 = { AWS_EC2_METADATA_SERVICE_ENDPOINT: origin };
  // No ~/.aws of the host's: the shared files are none.
  const NO_FILES = { AWS_CONFIG_FILE: "/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/c" };
  const source = (env: Record<string, string>) =>
    awsCredentialSource({ provider: "br", region: "us-east-1", config: {}, env: { ...NO_FILES, ...env } });
  return {
    heard,
    imds,
    origin,
    dir,
    onEc2,
    NO_FILES,
    source,
    get sessions() {
      return sessions;
    },
  };
}

import { z } from "zod";
import type { Expiring } from "../credentials/cached-credential.ts";
import { withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";

/** How long a `credential_process` may run before it is killed (the AWS SDKs set none: a gateway must). */
export const PROCESS_TIMEOUT_MS = 60_000;
/** The most of its output read, as the AWS SDK for Java bounds it (64 KB). */
const OUTPUT_LIMIT = 64_000;

/** The output the AWS CLI's and SDKs' `credential_process` contract names (Version 1). */
const processOutput = z.looseObject({
  Version: z.literal(1, { error: "did not return Version 1" }),
  AccessKeyId: z.string({ error: "returned no AccessKeyId" }).min(1),
  SecretAccessKey: z.string({ error: "returned no SecretAccessKey" }).min(1),
  SessionToken: z.string().optional(),
  Expiration: z.string().optional(),
});

/**
 * A profile's `credential_process`, run as the AWS SDKs run it (@aws-sdk/credential-provider-process):
 * the command through the shell, its standard output read as JSON with `Version: 1`,
 * `AccessKeyId`, `SecretAccessKey`, `SessionToken` and `Expiration` (credentials with none never
 * expire; those already expired are refused). Killed, with what it started (its own process group),
 * after `timeoutMs`. Its standard error is not read: it may hold a secret, and the log must not. On
 * failure, throws what went wrong in words without the output (`fail`).
 */
export async function processCredentials(
  command: string,
  env: Record<string, string | undefined>,
  fail: (why: string) => Error,
  timeoutMs = PROCESS_TIMEOUT_MS,
  now: () => number = Date.now,
): Promise<Expiring<AwsCredentials>> {
  const child = Bun.spawn(["/bin/sh", "-c", command], {
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    detached: true,
  });
  let why: string | undefined;
  const killGroup = () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const kill = (reason: string) => {
    why ??= reason;
    killGroup();
  };
  const timer = setTimeout(
    () => kill(`credential_process did not finish within ${timeoutMs / 1000} s`),
    timeoutMs,
  );
  let output = "";
  try {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      output += decoder.decode(chunk, { stream: true });
      if (output.length > OUTPUT_LIMIT) kill(`credential_process wrote more than ${OUTPUT_LIMIT} bytes`);
    }
    const code = await child.exited;
    if (why !== undefined) throw fail(why);
    if (code !== 0) throw fail(`credential_process exited with ${code} (run it by hand to see why)`);
  } finally {
    clearTimeout(timer);
    // Left here by a throw while it runs (its output's stream failing): not left running, nor what it
    // started. One that exited is not signalled: its group's id may be another's by now.
    if (child.exitCode === null && child.signalCode === null) killGroup();
  }
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch {
    throw fail("credential_process returned invalid JSON");
  }
  const parsed = processOutput.safeParse(json);
  if (!parsed.success)
    throw fail(`credential_process ${parsed.error.issues[0]?.message ?? "returned invalid credentials"}`);
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = parsed.data;
  const expiresAt = Expiration === undefined ? Number.POSITIVE_INFINITY : Date.parse(Expiration);
  if (Number.isNaN(expiresAt)) throw fail("credential_process returned an Expiration that is not a date");
  if (expiresAt <= now()) throw fail("credential_process returned expired credentials");
  return { value: withToken(AccessKeyId, SecretAccessKey, SessionToken), expiresAt };
}

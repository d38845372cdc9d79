import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayError } from "../../core/gateway-error.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

// Each profile's credential_process is a real shell script in a temp dir.
const dir = mkdtempSync(join(tmpdir(), "mindgw-credential-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
/** A script of `body`, and an environment whose default profile runs it. */
function processEnv(body: string): Record<string, string> {
  written += 1;
  const script = join(dir, `creds-${written}.sh`);
  writeFileSync(script, `#!/bin/sh\n${body}\n`);
  chmodSync(script, 0o755);
  const AWS_CONFIG_FILE = join(dir, `config-${written}`);
  writeFileSync(AWS_CONFIG_FILE, `[default]\ncredential_process = ${script} --profile x\n`);
  return {
    AWS_CONFIG_FILE,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

const failure = async (env: Record<string, string>, processTimeoutMs?: number) => {
  const error = await awsCredentialSource({
    provider: "br",
    region: "us-east-1",
    config: {},
    env,
    ...(processTimeoutMs ? { processTimeoutMs } : {}),
  })
    .get()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  return (error as GatewayError).message;
};

const PREFIX = "could not get credentials for upstream br: the AWS profile default: credential_process";

describe("credential_process", () => {
  test("its Version 1 JSON; run once while the keys are valid, again before they expire", async () => {
    const counter = join(dir, "runs");
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const env = processEnv(
      `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}
[ "$1" = "--profile" ] || exit 9
printf '{"Version": 1, "AccessKeyId": "PROC%s", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "${expires}"}' $n`,
    );
    let now = Date.now();
    const creds = awsCredentialSource({
      provider: "br",
      region: "us-east-1",
      config: {},
      env,
      now: () => now,
    });
    expect(await creds.get()).toEqual({ accessKeyId: "PROC1", secretAccessKey: "s", sessionToken: "t" });
    expect(await creds.get()).toEqual({ accessKeyId: "PROC1", secretAccessKey: "s", sessionToken: "t" });
    expect(readFileSync(counter, "utf8").trim()).toBe("1");
    // Past the refresh margin: the next caller gets the cached keys while the process runs again.
    now += 3_600_000 - 60_000;
    await creds.get();
    await waitForValue("the second run", () => readFileSync(counter, "utf8").trim() === "2");
  });

  test("without Expiration, keys that never expire", async () => {
    const env = processEnv(`echo '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s"}'`);
    const creds = awsCredentialSource({ provider: "br", region: "us-east-1", config: {}, env });
    expect(await creds.get()).toEqual({ accessKeyId: "A", secretAccessKey: "s" });
    expect(creds.invalidate({ accessKeyId: "A", secretAccessKey: "s" })).toBe(false);
  });

  test("a failing process is named with its exit code, never its stderr or output", async () => {
    const message = await failure(processEnv(`echo "SECRET-IN-STDERR" >&2; echo "SECRET-OUT"; exit 3`));
    expect(message).toBe(`${PREFIX} exited with 3 (run it by hand to see why)`);
  });

  test("what it returns is checked as the SDKs check it", async () => {
    expect(await failure(processEnv(`echo 'not json SECRET'`))).toBe(`${PREFIX} returned invalid JSON`);
    expect(await failure(processEnv(`echo '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"}'`))).toBe(
      `${PREFIX} did not return Version 1`,
    );
    expect(await failure(processEnv(`echo '{"Version":1,"AccessKeyId":"A"}'`))).toBe(
      `${PREFIX} returned no SecretAccessKey`,
    );
    expect(
      await failure(
        processEnv(
          `echo '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"2000-01-01T00:00:00Z"}'`,
        ),
      ),
    ).toBe(`${PREFIX} returned expired credentials`);
  });

  test("one that does not finish in time is killed, with what it started", async () => {
    const pidFile = join(dir, "sleep.pid");
    const message = await failure(processEnv(`sleep 30 & echo $! > ${pidFile}; wait`), 300);
    expect(message).toBe(`${PREFIX} did not finish within 0.3 s`);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const gone = () => {
      try {
        process.kill(pid, 0);
        // A zombie until its new parent reaps it: gone all the same once /proc says so.
        return readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] === "Z";
      } catch {
        return true;
      }
    };
    expect(await waitForValue("the process's child to be gone", gone)).toBe(true);
  });
});

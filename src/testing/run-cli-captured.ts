import { spyOn } from "bun:test";
import { runCli } from "../cli/run-cli.ts";

/** What `mindgw …args` run in this process ended with: its exit code and each stream's text. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mindgw …args` in this process (cli/run-cli.ts), with what it writes kept, not printed. */
export async function runCliCaptured(args: readonly string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const out = spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCli(["bun", "mindgw", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

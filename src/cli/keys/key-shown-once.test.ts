import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, onlyPath } from "../../testing/off-cloud-env.ts";

// A new key is shown once: `keys create` and `keys rotate` whose output reaches no one say so and
// fail, naming the key to revoke, where a closed pipe ended them 0 in silence with the key made.

// Each command is a process of its own: about a second a start, on a shared machine.
setDefaultTimeout(60_000);

const main = join(import.meta.dir, "../../main.ts");
const dir = mkdtempSync(join(tmpdir(), "mindgw-key-shown-once-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, "gw.yaml");
writeFileSync(config, "storage: { path: ./gw.db }\n");

/** `mindgw keys …` with its stdout sent to `sink` (`| true`, `> /dev/null`), and the exit code it ended with. */
function keys(args: string[], sink: string) {
  const run = Bun.spawnSync(
    [
      "bash",
      "-c",
      `"$0" "$@" ${sink}; echo "exit=\${PIPESTATUS[0]}"`,
      process.execPath,
      main,
      "keys",
      ...args,
      "-c",
      config,
    ],
    { stdout: "pipe", stderr: "pipe", env: childEnv({ HOME: tmpdir() }, onlyPath) },
  );
  return { stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

test("a key whose one showing cannot be written: exit 1, naming the key made and how to revoke it", () => {
  // `true` reads nothing and exits at once: the write fails (EPIPE).
  const created = keys(["create", "--name", "lost"], "| true");
  expect(created.stdout).toBe("exit=1\n");
  expect(created.stderr).toMatch(
    /mindgw: key (key_\S+) \(lost\) was made, but stdout cannot be written \(EPIPE[^)]*\): it is shown nowhere; revoke it \(mindgw keys revoke \1\) and create another\n$/,
  );
  const rotated = keys(["rotate", "lost", "--json"], "| true");
  expect(rotated.stdout).toBe("exit=1\n");
  expect(rotated.stderr).toMatch(
    /was made, but stdout cannot be written .*the key it replaces, stays valid only until /,
  );
  // Read, or sent to /dev/null on purpose: shown, or as asked.
  expect(keys(["create", "--name", "kept", "--json"], "| cat >/dev/null")).toEqual({
    stdout: "exit=0\n",
    stderr: "",
  });
  expect(keys(["create", "--name", "discarded"], "> /dev/null")).toEqual({ stdout: "exit=0\n", stderr: "" });
});

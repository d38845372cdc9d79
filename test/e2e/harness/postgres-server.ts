import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { SQL } from "bun";
import { freePort } from "./free-port.ts";
import { endAfterRun, removeAfterRun } from "./left-behind.ts";
import { ProcessOutput } from "./process-output.ts";
import { waitFor } from "./wait-for.ts";

const BIN = process.env.MINDGW_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** A throwaway PostgreSQL server on a loopback port, in a temp directory. */
export interface PostgresServer {
  readonly port: number;
  /** The server's `postgres` database, superuser, no password (trust on loopback only). */
  readonly url: string;
  /** The postmaster and its children (backends) while it runs (benchmarks read their CPU time). */
  pids(): number[];
  /** A fresh, empty database on this server; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** SIGKILL: the server dies as in a crash (its data directory stays). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (after `kill`). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * PostgreSQL refuses to run as root; as root the servers run as the `postgres` user that the
 * Debian package creates (scripts/ci.sh installs it), through setpriv, which execs in place so
 * the pid we hold is the server's own.
 */
function asServerUser(argv: string[]): string[] {
  if (process.getuid?.() !== 0) return argv;
  return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", ...argv];
}

function chownToServerUser(path: string): void {
  if (process.getuid?.() !== 0) return;
  const passwd = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
  const group = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
  if (!/^\d+$/.test(passwd))
    throw new Error("running as root needs a `postgres` user (apt-get install postgresql)");
  chownSync(path, Number(passwd), Number(group));
}

interface ProcessStat {
  pid: number;
  state: string;
  ppid: number;
}

function processes(): ProcessStat[] {
  const list: ProcessStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid …; comm may hold spaces, so split after its closing parenthesis.
    const [state = "", ppid = "0"] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    list.push({ pid: Number(entry), state, ppid: Number(ppid) });
  }
  return list;
}

const signal = (pid: number, name: NodeJS.Signals | 0) => {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
};

/**
 * A crash of the whole server: the postmaster and every backend. PostgreSQL's children each
 * call setsid(), so no process group holds them all: the postmaster is stopped first (it forks
 * nothing more), its children are found by parent pid, and all are killed. Returns their pids.
 */
function crash(postmaster: number): number[] {
  signal(postmaster, "SIGSTOP");
  const children = processes()
    .filter((p) => p.ppid === postmaster)
    .map((p) => p.pid);
  for (const pid of children) signal(pid, "SIGKILL");
  signal(postmaster, "SIGKILL");
  return [postmaster, ...children];
}

/**
 * True while one of `pids` still runs. Zombies do not count: orphaned backends are reparented
 * to PID 1, which in a container may never reap them, and they hold no shared memory.
 */
export function anyAlive(pids: readonly number[]): boolean {
  const wanted = new Set(pids);
  return processes().some((p) => wanted.has(p.pid) && p.state !== "Z");
}

/** initdb is the slow part (~1 s); it runs once per test process and is copied after. */
let template: string | null = null;
function templateCluster(): string {
  if (template !== null && existsSync(template)) return template;
  const dir = mkdtempSync(join(tmpdir(), "mindgw-pg-template-"));
  chownToServerUser(dir);
  const data = join(dir, "data");
  const init = Bun.spawnSync(
    asServerUser([
      `${BIN}/initdb`,
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
      "--no-instructions",
    ]),
    { stdout: "pipe", stderr: "pipe" },
  );
  if (init.exitCode !== 0) throw new Error(`initdb failed (${init.exitCode}): ${init.stderr.toString()}`);
  removeAfterRun(dir);
  template = data;
  return data;
}

export interface PostgresServerOptions {
  /**
   * TLS: the server's certificate and key (PEM). With `only`, pg_hba.conf accepts TCP
   * connections over TLS only (`hostssl`), as a managed database that requires SSL does.
   */
  tls?: { cert: string; key: string; only?: boolean };
}

/** Starts PostgreSQL 15 on a free loopback port with a fresh cluster; waits until it answers. */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-pg-"));
  const removeDir = removeAfterRun(dir);
  chownToServerUser(dir);
  const data = join(dir, "data");
  cpSync(templateCluster(), data, { recursive: true, preserveTimestamps: true });
  Bun.spawnSync(["chown", "-R", "postgres:postgres", data]);
  const sockets = join(dir, "sockets");
  mkdirSync(sockets);
  chownToServerUser(sockets);
  const tlsArgs: string[] = [];
  if (options.tls) {
    // PostgreSQL refuses a key that others can read.
    for (const [name, text] of [
      ["server.crt", options.tls.cert],
      ["server.key", options.tls.key],
    ] as const) {
      writeFileSync(join(dir, name), text, { mode: 0o600 });
      chownToServerUser(join(dir, name));
    }
    tlsArgs.push("-c", "ssl=on", "-c", `ssl_cert_file=${join(dir, "server.crt")}`);
    tlsArgs.push("-c", `ssl_key_file=${join(dir, "server.key")}`);
    if (options.tls.only) {
      const hba = join(dir, "pg_hba.conf");
      writeFileSync(
        hba,
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
      );
      chownToServerUser(hba);
      tlsArgs.push("-c", `hba_file=${hba}`);
    }
  }
  // The harness's own connections (readiness, CREATE DATABASE) need TLS when only TLS is let in.
  const adminTls = options.tls?.only ? ("require" as const) : false;
  let port = freePort();
  let proc: Subprocess<"ignore", "ignore", "pipe"> | null = null;
  let forget = () => {};
  let databases = 0;

  const launch = async (): Promise<void> => {
    // fsync off: these servers live for one test run, and a killed server's writes are still in
    // the OS cache. Commits stay synchronous, so a `kill -9` of the server loses nothing committed.
    const argv = [
      `${BIN}/postgres`,
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      sockets,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
      "-c",
      "log_min_messages=warning",
      ...tlsArgs,
    ];
    const child = Bun.spawn(asServerUser(argv), {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    proc = child;
    // Only while it runs: once it has exited (and been reaped), its pid may be another process's.
    forget = endAfterRun({
      pid: child.pid,
      kill: () => {
        if (child.exitCode === null) crash(child.pid);
      },
    });
    const log = new ProcessOutput(child.stderr);
    await waitFor(
      "PostgreSQL to accept connections",
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log.all}`);
        const probe = new SQL({
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          max: 1,
          connectionTimeout: 1,
          tls: adminTls,
        });
        try {
          await probe`SELECT 1`;
          return true;
        } catch {
          return false;
        } finally {
          await probe.close();
        }
      },
      30_000,
      50,
    );
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const child = proc;
    proc = null;
    if (child === null) return;
    // SIGKILL: every process of the server (a crash). SIGQUIT: the postmaster, which stops its
    // backends itself.
    let pids = [child.pid];
    if (signal === "SIGKILL") pids = crash(child.pid);
    else if (child.exitCode === null) child.kill(signal);
    const exited = await Promise.race([child.exited, Bun.sleep(10_000).then(() => null)]);
    if (exited === null) pids = crash(child.pid);
    await child.exited;
    // A backend that outlived the postmaster would still answer queries and hold the shared
    // memory a restart needs: wait until none is left.
    await waitFor("every PostgreSQL process to exit", () => !anyAlive(pids), 10_000, 10);
    forget();
  };

  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      await halt("SIGKILL");
      // Another process took the port between the probe and the bind: try another.
      if (attempt >= 3) {
        removeDir();
        throw error;
      }
      port = freePort();
    }
  }

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    pids() {
      const postmaster = proc?.pid;
      if (postmaster === undefined) return [];
      return [postmaster, ...processes().flatMap((p) => (p.ppid === postmaster ? [p.pid] : []))];
    },
    port,
    url,
    async createDatabase(name = `db_${process.pid}_${++databases}`) {
      const admin = new SQL({ url, max: 1, tls: adminTls });
      try {
        await admin.unsafe(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.close();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    kill: () => halt("SIGKILL"),
    start: launch,
    async stop() {
      // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its children with it.
      await halt("SIGQUIT");
      removeDir();
    },
  };
}

import type { Command } from "commander";
import type { InTenant, IssuedKey } from "../../auth/key-admin.ts";
import { keyToCreate } from "../../auth/key-to-create.ts";
import { printable } from "../../core/printable.ts";
import { unknownTenantNote } from "../../core/unknown-tenant-note.ts";
import { chooseTarget, type TargetFlags, withTargetOptions } from "../command-target.ts";
import { withFlagWords } from "../flag-words.ts";
import { givenFlag } from "../given-flag.ts";
import { resolveStoreConfig } from "../resolve-config.ts";
import { showOnce } from "../show-once.ts";
import type { KeysBackend } from "./keys-backend.ts";
import { inUpdateWords, limitsInput, type UpdateOptions } from "./limits-input.ts";
import { localKeys } from "./local-keys.ts";
import { keyDetail, printKeyPages } from "./print-keys.ts";
import { remoteKeys } from "./remote-keys.ts";

interface Target extends TargetFlags {
  json?: boolean;
}

/**
 * `creating`: the input of the key `keys create` makes, which alone may make the store with `-c`
 * (local-keys.ts). It is checked first, as the key admin checks it: a key refused (`--role root`, a
 * tenant not configured) leaves no new, empty database behind.
 */
async function backendFor(options: Target, creating?: Record<string, unknown>): Promise<KeysBackend> {
  const target = chooseTarget(options);
  if (target.kind === "gateway") return remoteKeys(target.url, target.adminKey);
  const { config, clusterUnread } = await resolveStoreConfig(target.configFile);
  if (creating !== undefined)
    keyToCreate("local-operator", creating, { now: Date.now(), tenants: config.tenants.map((t) => t.name) });
  return localKeys(config, options.migrate === true, {
    createsStore: creating !== undefined,
    ...(clusterUnread !== undefined && { clusterUnread }),
  });
}

/**
 * When a change a command makes reaches a running gateway: `throughGateway`, what the gateway it is
 * made through does; a store changed with `-c` is noticed alike by every command.
 */
const whenItApplies = (throughGateway: string) => `
When a change reaches a running gateway:
  --gateway URL  ${throughGateway}
  -c FILE        the store is changed directly; a gateway serving from it notices within its key
                 refresh (2 s), or at once when the config has cluster: (told through Redis).`;

/** What `revoke` revokes by name, and that the gateway it goes through refuses the key at once. */
const REVOKE_HELP = `
By id: that key. By name: every active key of that name, each listed (during a rotation's
--grace window the old key and the new one share the name: both are revoked). Keys of that
name in several tenants are refused (nothing revoked): revoke each by id, or the name in one
tenant (--tenant).
${whenItApplies(`that gateway applies it at once: the key's next request is refused, and its open
                 streams and worker connections end (other nodes on the same store:
                 within 2 s, or at once with cluster:).`)}`;

/**
 * What `rotate` does: the old key works on through `--grace` (its end is the old key's expiry), so
 * revoke's "refused at its next request" is no promise of rotate's.
 */
const ROTATE_HELP = whenItApplies(`that gateway applies it at once: the new key works from its first
                 request, the old one until --grace ends; then its next request is refused, and
                 its open streams and worker connections end (other nodes on the same store:
                 within 2 s, or at once with cluster:).`);

/** What `update` changes, and when a running gateway applies it. */
const UPDATE_HELP = `
Only the options given change; "none" lifts a limit (--rpm none, --budget none, --expires-in none
or --expires-at none: never expires). A key keeps at least one model glob (--models "*": every model).
The key's spend is kept: a spent budget raised lets the key through again. Through --gateway, an
admin key gives no more than it has itself (models, rpm, tpm, budget, expiry).
${whenItApplies(`that gateway applies it from the key's next request (other nodes on the same
                 store: within 2 s, or at once with cluster:).`)}`;

/** `--tenant` of a command that finds a key by name. */
const TENANT_HELP =
  "by name, that tenant's key (an admin outside every tenant: a name's active keys in several tenants are refused without it)";

const print = (json: boolean | undefined, value: unknown, human: string) =>
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human);

/**
 * A new key's one showing (`create`, `rotate`), written whole before the command ends: where it
 * cannot be (a reader gone, `| true`; a full disk), the key exists but no one will ever see it, so
 * the command says so and fails (exit 1) naming the key to revoke, where it ended 0 in silence (a
 * closed pipe) or with a stack trace (ENOSPC). Sent to /dev/null on purpose, it is as asked.
 */
function showKey(json: boolean | undefined, issued: IssuedKey, human: string, then: string): void {
  const lost = showOnce(json ? `${JSON.stringify(issued, null, 2)}\n` : human, 1, { nullIsLost: false });
  if (lost)
    throw new Error(
      `key ${issued.id} (${printable(issued.name)}) was made, but ${lost}: it is shown nowhere; revoke it (mindgw keys revoke ${issued.id}) and ${then}`,
    );
}

/** The key admin's input fields the flags fill: each is `--<field>` (`expires_in`: `--expires-in`) but one. */
const KEY_FIELDS = [
  "name",
  "role",
  "tenant",
  "models",
  "rpm",
  "tpm",
  "budget_usd",
  "expires_in",
  "expires_at",
  "grace",
];
const KEY_FLAGS = { budget_usd: "--budget" };

/**
 * Runs one keys operation against the chosen backend and always releases it. A refusal of the input
 * names the flag that gave it (`--budget: expected a number`), not the API's field (`budget_usd`).
 */
function action<A extends unknown[]>(
  run: (backend: KeysBackend, options: Target, ...args: A) => Promise<void>,
  {
    creates,
    reword,
  }: {
    /** `keys create`'s: the input of the key it makes (`backendFor`). */
    creates?: (options: Target) => Record<string, unknown>;
    reword?: (refusal: string) => string;
  } = {},
) {
  return async (...args: [...A, Target, Command]) => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals<Target>();
    try {
      const backend = await backendFor(options, creates?.(options));
      try {
        await run(backend, options, ...(args.slice(0, -2) as A));
      } finally {
        await backend.close();
      }
    } catch (error) {
      throw withFlagWords(error, KEY_FIELDS, { flagOf: KEY_FLAGS, ...(reword ? { reword } : {}) });
    }
  };
}

/** The options given on the command line, as the API's input (an option left out is not sent). */
const given = (fields: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

/** `keys create`'s options as the API's input. */
function createInput(options: Target): Record<string, unknown> {
  const o = options as Target & Record<string, string | undefined>;
  return given({
    name: o.name,
    role: o.role,
    tenant: o.tenant,
    models: o.models,
    rpm: o.rpm,
    tpm: o.tpm,
    budget_usd: o.budget,
    expires_in: o.expiresIn,
  });
}

function withTarget(command: Command): Command {
  return withTargetOptions(command, "work on the key store of this config").option("--json", "print JSON");
}

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("create, list, show, update, revoke and rotate API keys");
  withTarget(keys.command("create").description("create a key; the plain key is shown once"))
    .requiredOption("--name <name>", "who or what the key is for")
    .option("--role <role>", "admin | user | worker", "user")
    .option("--tenant <tenant>", "tenant the key belongs to")
    .option("--models <globs>", "comma-separated model globs the key may use", "*")
    .option("--rpm <n>", "requests per minute")
    .option("--tpm <n>", "tokens per minute")
    .option("--budget <usd>", "spend budget in USD")
    .option("--expires-in <duration>", "lifetime, e.g. 30d")
    .action(
      action(
        async (backend, options) => {
          const issued = await backend.create(createInput(options));
          showKey(
            options.json,
            issued,
            `${keyDetail(issued)}\nkey: ${issued.key}\n(shown once: store it now)\n`,
            "create another",
          );
        },
        { creates: createInput },
      ),
    );
  withTarget(
    keys
      .command("update <id-or-name>")
      .description("change an active key's models, limits, budget or expiry; its spend is kept")
      .addHelpText("after", UPDATE_HELP),
  )
    .option("--models <globs>", "comma-separated model globs the key may use")
    .option("--rpm <n>", "requests per minute")
    .option("--tpm <n>", "tokens per minute")
    .option("--budget <usd>", "spend budget in USD (the spend so far is kept)")
    .option("--expires-in <duration>", "lifetime from now, e.g. 30d")
    .option(
      "--expires-at <time>",
      "expiry as ISO 8601 with Z or an offset, e.g. 2027-01-31T00:00Z, $(date +%FT%T%z)",
    )
    .option("--tenant <tenant>", TENANT_HELP)
    .action(
      action(
        async (backend, options, id: string) => {
          const { tenant, ...limits } = options as Target & UpdateOptions & InTenant;
          const key = await backend.setLimits(id, limitsInput(limits), tenant);
          print(options.json, key, keyDetail(key));
        },
        { reword: inUpdateWords },
      ),
    );
  withTarget(keys.command("list").description("list keys (never the keys themselves)"))
    .option("--all", "include revoked and expired keys")
    .option("--tenant <tenant>", "only keys of this tenant")
    // Given empty (`--tenant "$T"` unset), refused by name before the store opens: read as no
    // filter, every tenant's keys would be listed, unasked (given-flag.ts).
    .hook("preAction", (list) => void givenFlag("--tenant", list.opts<{ tenant?: string }>().tenant))
    .action(
      action(async (backend, options) => {
        const { all, tenant } = options as { all?: boolean; tenant?: string };
        const listed = await printKeyPages(
          backend.listPages(all === true, tenant),
          options.json === true,
          (text) => process.stdout.write(text),
        );
        const note =
          listed === 0 && tenant !== undefined
            ? unknownTenantNote(
                tenant,
                await backend.tenantNames(),
                `no ${all === true ? "" : "active "}key is in tenant ${printable(tenant)}`,
              )
            : undefined;
        if (note) process.stderr.write(`mindgw: ${note}\n`);
      }),
    );
  withTarget(keys.command("show <id-or-name>").description("show one key"))
    .option("--tenant <tenant>", TENANT_HELP)
    .action(
      action(async (backend, options, id: string) => {
        const key = await backend.show(id, (options as InTenant).tenant);
        print(options.json, key, keyDetail(key));
      }),
    );
  withTarget(
    keys
      .command("revoke <id-or-name>")
      .description(
        "revoke a key, or every active key of a name: at once through --gateway, within 2 s with -c (see below)",
      )
      .addHelpText("after", REVOKE_HELP),
  )
    .option("--tenant <tenant>", TENANT_HELP)
    .action(
      action(async (backend, options, id: string) => {
        const answer = await backend.revoke(id, (options as InTenant).tenant);
        print(
          options.json,
          answer,
          answer.revoked.map((key) => `revoked ${key.name} (${key.id})\n`).join(""),
        );
      }),
    );
  withTarget(
    keys
      .command("rotate <id-or-name>")
      .description("issue a new key; the old one stays valid for --grace")
      .addHelpText("after", ROTATE_HELP),
  )
    .option("--grace <duration>", "how long the old key keeps working", "10m")
    .option("--tenant <tenant>", TENANT_HELP)
    .action(
      action(async (backend, options, id: string) => {
        const { grace, tenant } = options as { grace?: string } & InTenant;
        const rotated = await backend.rotate(id, { grace }, tenant);
        showKey(
          options.json,
          rotated,
          `${keyDetail(rotated)}\nkey: ${rotated.key}\n(shown once; ${rotated.previous.key_preview} stays valid until ${rotated.previous.expires_at})\n`,
          `mind that ${rotated.previous.id}, the key it replaces, stays valid only until ${rotated.previous.expires_at}`,
        );
      }),
    );
}

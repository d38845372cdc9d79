import { expect, test } from "bun:test";
import type { Storage } from "../../storage/storage.ts";
import { onEachStorage } from "../../testing/each-storage.ts";
import { everyPage } from "../../testing/every-page.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";
import { tenantsConfig } from "../../testing/tenants-config.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// `GET /admin/api/actions` to an admin held to its tenant. Each action's `id` and the page's
// `nextBefore` were the row's id, a counter every tenant's admin actions share (key changes,
// sign-ins), so the gaps between its own actions' ids counted the changes made to other tenants'
// keys in between; and a `before` it chose walked the log where it liked, so bisecting told it
// its actions' ids even had the ids been hidden. Now such a reader is shown them sealed
// (core/cursor-seal.ts, as its audit cursors), and only a sealed one is taken from it as `before`.
// On SQLite and PostgreSQL alike.

type Page = { actions: { id: unknown; detail: string | null }[]; nextBefore: unknown };

interface Read {
  /** Each page's actions' details (their keys' names), the page's ids and its `nextBefore`. */
  pages: { details: (string | null)[]; ids: unknown[]; nextBefore: unknown }[];
  call: (query: string, as: "acme" | "admin") => Promise<Response>;
  /** A GET of `path` by acme's admin. */
  get: (path: string) => Promise<Response>;
}

/**
 * An admin outside every tenant makes acme's admin, then three keys of acme, `others` keys of
 * globex after each; acme's admin walks its actions a page of one at a time.
 */
async function walk(storage: Storage, others: number, then: (read: Read) => Promise<void>): Promise<Read> {
  const { gateway, adminKey } = await recordingGateway(tenantsConfig(["acme", "globex"]), undefined, {
    storage,
  });
  try {
    const create = async (name: string, tenant: string, role = "user") => {
      const made = await callAs(gateway, adminKey, "POST", "/admin/api/keys", { name, tenant, role });
      expect(made.status).toBe(201);
      return ((await made.json()) as { key: string }).key;
    };
    const acme = await create("acme-admin", "acme", "admin");
    for (let i = 0; i < 3; i++) {
      await create(`acme_${i}`, "acme");
      for (let j = 0; j < others; j++) await create(`globex_${i}_${j}`, "globex");
    }
    const call = (query: string, as: "acme" | "admin") =>
      callAs(gateway, as === "acme" ? acme : adminKey, "GET", `/admin/api/actions?${query}`);
    const pages = await everyPage<Page>(
      (before) => call(`limit=1${before === null ? "" : `&before=${before}`}`, "acme"),
      (page) => page.nextBefore,
    );
    const read: Read = {
      pages: pages.map((page) => ({
        details: page.actions.map(keyName),
        ids: page.actions.map((a) => a.id),
        nextBefore: page.nextBefore,
      })),
      call,
      get: (path) => callAs(gateway, acme, "GET", path),
    };
    await then(read);
    return read;
  } finally {
    await gateway.stop();
  }
}

/** The name of the key an action made: its detail's first word (written isolated, `⁨name⁩`). */
const keyName = (action: { detail: string | null }) => action.detail?.match(/[\w-]+/)?.[0] ?? null;

/** What a reader could count with: each id's and `nextBefore`'s kind and length. */
const shapes = (read: Read) =>
  read.pages.map((page) => ({
    ids: page.ids.map((id) => `${typeof id} ${String(id).length}`),
    nextBefore:
      page.nextBefore === null ? null : `${typeof page.nextBefore} ${String(page.nextBefore).length}`,
  }));

async function refusedTo(read: Read, before: string): Promise<void> {
  const response = await read.call(`limit=1&before=${before}`, "acme");
  const { error } = (await response.json()) as { error?: { param: string; message: string } };
  expect([response.status, error?.param, error?.message]).toEqual([
    400,
    "before",
    expect.stringContaining("before: not an action's id as this list gave it"),
  ]);
}

function leaksNothing(open: () => Promise<Storage>) {
  test("its ids and nextBefore read alike whether other tenants' keys changed between its own or not", async () => {
    const alone = await walk(await open(), 0, async () => {});
    const among = await walk(await open(), 9, async () => {});
    expect(alone.pages.map((p) => p.details)).toEqual([["acme_2"], ["acme_1"], ["acme_0"], ["acme-admin"]]);
    expect(among.pages.map((p) => p.details)).toEqual(alone.pages.map((p) => p.details));
    // Text of one length, never a number, nor a number written out: nothing to subtract.
    expect(shapes(among)).toEqual(shapes(alone));
    const shown = [alone, among].flatMap((read) =>
      read.pages.flatMap((p) => [...p.ids, ...(p.nextBefore === null ? [] : [p.nextBefore])]),
    );
    expect(new Set(shown.map((id) => typeof id))).toEqual(new Set(["string"]));
    expect(new Set(shown.map((id) => String(id).length)).size).toBe(1);
    for (const id of shown) expect(String(id)).not.toMatch(/^\d+$/);
  }, 60_000);

  test("an admin's numeric id, one changed, or an audit cursor is refused as its before (400); the admin's ids stay numbers", async () => {
    await walk(await open(), 3, async (read) => {
      const every = (await (await read.call("limit=2", "admin")).json()) as Page;
      expect(every.actions.map((a) => typeof a.id)).toEqual(["number", "number"]);
      expect(typeof every.nextBefore).toBe("number");
      await refusedTo(read, String(every.nextBefore));
      const own = String(read.pages[0]?.nextBefore);
      const bytes = Buffer.from(own, "base64url");
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
      await refusedTo(read, bytes.toString("base64url"));
      // A sealed audit cursor of its own (its calls' rows, once written) is no action's id either.
      const cursor = await waitForValue("a sealed audit cursor", async () => {
        const audit = await read.get("/admin/api/audit?limit=1");
        return ((await audit.json()) as { nextCursor: string | null }).nextCursor;
      });
      await refusedTo(read, cursor);
      // Any id it was shown names that action: the page after it is the one after.
      const second = String(read.pages[1]?.ids[0]);
      const after = (await (await read.call(`limit=5&before=${second}`, "acme")).json()) as Page;
      expect(after.actions.map(keyName)).toEqual(["acme_0", "acme-admin"]);
    });
  }, 60_000);
}

onEachStorage(leaksNothing);

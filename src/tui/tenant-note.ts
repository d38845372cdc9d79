import { z } from "zod";
import { printable } from "../core/printable.ts";
import { unknownTenantNote } from "../core/unknown-tenant-note.ts";
import { type GatewayTarget, TAIL_USER_AGENT } from "./gateway-target.ts";

const tenantsAnswer = z.object({ tenants: z.array(z.object({ name: z.string() })) });

/**
 * How long a read for the note may take: past it, no note. It is read beside the live view, which
 * it does not hold back; as long as an admin command waits for a gateway's headers.
 */
const NOTE_READ_MS = 30_000;

/**
 * The note for a `--tenant` no configured tenant has (core/unknown-tenant-note.ts), said beside the
 * live view: a mistyped tenant showed an empty view, as a quiet tenant's does. Asked of the
 * gateway at start, `?tenant=` first: a reader held to its own tenant is refused another's there
 * (the event stream then says why) rather than told its own is all there is; only a name no tenant
 * has reads the list again, for its names. No answer, no note.
 */
export async function tailTenantNote(
  target: GatewayTarget,
  adminKey: string,
  fetcher: typeof fetch = fetch,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { tenant } = target;
  if (tenant === undefined) return undefined;
  const read = (only?: string) => tenantNames(target, adminKey, fetcher, only, signal);
  const named = await read(tenant);
  if (named === undefined || named.length > 0) return undefined;
  return unknownTenantNote(tenant, await read(), `only tenant ${printable(tenant)}'s requests show`);
}

/** The tenants `/admin/api/tenants` lists (`only`: that one, if configured); a failure, undefined. */
async function tenantNames(
  target: GatewayTarget,
  adminKey: string,
  fetcher: typeof fetch,
  only: string | undefined,
  signal: AbortSignal | undefined,
): Promise<readonly string[] | undefined> {
  // Beside the workers list: `…/admin/api/tenants`, the workers' `?tenant=` not kept.
  const url = new URL("tenants", target.workersUrl);
  if (only !== undefined) url.searchParams.set("tenant", only);
  const timeout = AbortSignal.timeout(NOTE_READ_MS);
  try {
    const response = await fetcher(url, {
      headers: {
        authorization: `Bearer ${adminKey}`,
        accept: "application/json",
        "user-agent": TAIL_USER_AGENT,
      },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      // A redirect is not followed (redirect-refusal.ts): the event stream says where it leads.
      redirect: "manual",
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      return undefined;
    }
    const parsed = tenantsAnswer.safeParse(await response.json());
    return parsed.success ? parsed.data.tenants.map((t) => t.name) : undefined;
  } catch {
    return undefined;
  }
}

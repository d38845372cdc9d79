/**
 * A source folder's share of a V8 `.cpuprofile` (as `bun --cpu-prof` writes it): the samples
 * whose stack holds a frame of a file under the folder, so the builtins its code calls (a `Map`'s
 * `get`, `startsWith`) count with it, where a self-time list gives them to `(anon)`. A function the
 * JIT inlined into a caller outside the folder is sampled as that caller and is not counted:
 * the share is a floor.
 */

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** The percentage of samples with a frame under each of `folders` (a path part, `src/telemetry/metrics/`). */
export function sharesUnder(profile: CpuProfile, folders: readonly string[]): Map<string, number> {
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** Per node, which folders its stack passes through (a bit per folder), computed once per node. */
  const maskOf = new Map<number, number>();
  const mask = (id: number): number => {
    const known = maskOf.get(id);
    if (known !== undefined) return known;
    const url = byId.get(id)?.callFrame.url ?? "";
    let own = 0;
    for (const [i, folder] of folders.entries()) if (url.includes(folder)) own |= 1 << i;
    const parent = parentOf.get(id);
    const all = own | (parent === undefined ? 0 : mask(parent));
    maskOf.set(id, all);
    return all;
  };
  const counts = folders.map(() => 0);
  for (const id of profile.samples) {
    const m = mask(id);
    for (const i of counts.keys()) if (m & (1 << i)) counts[i] = (counts[i] ?? 0) + 1;
  }
  const total = profile.samples.length;
  return new Map(folders.map((folder, i) => [folder, (100 * (counts[i] ?? 0)) / total]));
}

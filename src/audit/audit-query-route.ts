/**
 * How the audit query's route filter reads, in both stores and the web UI's live rows alike:
 * `worker:<name>` is that worker wherever it served — the rows of the node holding it
 * (`worker:<name>`) and those another node took and forwarded to it (`worker:<name>@<node>`);
 * `worker:<name>@<node>` and `provider:<name>` match only themselves.
 */

/** What every forwarded row of the worker a filter names begins with; undefined when it names none. */
export function forwardedPrefix(filter: string): string | undefined {
  return filter.startsWith("worker:") && !filter.includes("@") ? `${filter}@` : undefined;
}

/** Whether a row's route is one the filter selects. */
export function routeMatches(filter: string, route: string | null): boolean {
  if (route === null) return false;
  if (route === filter) return true;
  const prefix = forwardedPrefix(filter);
  return prefix !== undefined && route.startsWith(prefix);
}

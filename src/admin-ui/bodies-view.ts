/** What a request's detail says of its bodies, from their read (`null`: read, and not stored). */
export type BodiesView =
  | { state: "reading" }
  | { state: "failed"; error: string }
  | { state: "none" }
  | { state: "stored"; request: string | null; response: string | null };

interface StoredBodies {
  requestBody?: string | null;
  responseBody?: string | null;
}

/**
 * "Not stored" only once the audit log has answered without them: a read still on its way, or one
 * that failed, would say `audit.bodies` is off when it may be on.
 */
export function bodiesView(read: {
  data: StoredBodies | null | undefined;
  error: string | undefined;
}): BodiesView {
  if (read.error !== undefined) return { state: "failed", error: read.error };
  if (read.data === undefined) return { state: "reading" };
  const request = read.data?.requestBody ?? null;
  const response = read.data?.responseBody ?? null;
  return request || response ? { state: "stored", request, response } : { state: "none" };
}

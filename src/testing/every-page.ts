import { expect } from "bun:test";

/**
 * Every page of a paged list, walked from the first: `read` is given the last page's next-page
 * token (`null` for the first) and must answer 200; the walk ends at the page whose `nextOf` is null.
 */
export async function everyPage<P>(
  read: (next: unknown) => Promise<Response>,
  nextOf: (page: P) => unknown,
): Promise<P[]> {
  const pages: P[] = [];
  let next: unknown = null;
  do {
    const response = await read(next);
    expect(response.status).toBe(200);
    const page = (await response.json()) as P;
    pages.push(page);
    next = nextOf(page);
  } while (next !== null);
  return pages;
}

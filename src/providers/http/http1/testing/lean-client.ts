import { ConnectionPool } from "../connection-pool.ts";
import { createLeanFetch, type FetchFunction } from "../lean-fetch.ts";

/**
 * A lean fetch with its own pool, and a fallback that records what it was given; one that follows
 * no redirect when `followRedirects` is false.
 */
export function leanClient(pool = new ConnectionPool(), followRedirects = true) {
  const fallbackCalls: string[] = [];
  const fallback: FetchFunction = async (input) => {
    fallbackCalls.push(String(input));
    return new Response("from fallback");
  };
  return { fetch: createLeanFetch({ fallback, env: {}, pool, followRedirects }), fallbackCalls, pool };
}

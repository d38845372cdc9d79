import { expect } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { EventBus } from "../../audit/event-bus.ts";
import { withoutBodies } from "../../audit/published-record.ts";
import { waitFor } from "../../testing/wait-for.ts";
import { EVENTS_CHANNEL, EventRelay, type EventRelayOptions } from "../event-relay.ts";
import type { JsonSeal } from "../json-seal.ts";
import type { NodeEntry } from "../node-entry.ts";
import { RedisLink } from "../redis-link.ts";

// The nodes of the event-relay-asks tests: relays of cluster `ours` on their own links to one real
// Redis, and a plain listener on the channel that shows what each published.

/**
 * Node `id` of cluster `ours` on its own link, listening on the channel as start-cluster.ts does.
 * `readsAfter`: a slow node, which reads no message on the channel until it settles (its loop busy).
 */
export async function relayNode(
  redisUrl: string,
  seal: JsonSeal,
  id: string,
  options: Partial<EventRelayOptions> = {},
  readsAfter?: Promise<void>,
) {
  const link = new RedisLink({ url: redisUrl, timeoutMs: 2_000, vouch: async () => null });
  expect(await link.start()).toBe(true);
  const bus = new EventBus();
  const relay = new EventRelay({ link, nodeId: id, clusterId: "ours", bus, seal, ...options });
  // The unsealed markers this node read: what was published before one on the same connection,
  // its relay has read too.
  const markers: string[] = [];
  const read = (text: string) => {
    relay.received(text);
    if (seal.open(text) === null) markers.push(text);
  };
  await link.subscribe(EVENTS_CHANNEL, (text) =>
    readsAfter === undefined ? read(text) : void readsAfter.then(() => read(text)),
  );
  const close = () => {
    relay.close();
    link.close();
  };
  return { bus, relay, link, markers, close };
}

/**
 * A plain listener on the channel, as any subscriber of the Redis server: the asks and answers
 * each node published, and the unsealed markers a test sends to know what came before them.
 */
export async function channelListener(redisUrl: string, seal: JsonSeal) {
  const link = new RedisLink({ url: redisUrl, timeoutMs: 2_000, vouch: async () => null });
  expect(await link.start()).toBe(true);
  const asks: string[] = [];
  const askIds: string[] = [];
  const heard: string[] = [];
  const heardChecks: string[] = [];
  const answers: string[] = [];
  const markers: string[] = [];
  await link.subscribe(EVENTS_CHANNEL, (text) => {
    const json = seal.open(text);
    if (json === null) return void markers.push(text);
    const sent = JSON.parse(json) as {
      node: string;
      ask?: string;
      heard?: string;
      heardCheck?: string;
      written?: string;
    };
    if (sent.ask !== undefined) asks.push(sent.node);
    if (sent.ask !== undefined) askIds.push(sent.ask);
    if (sent.heard !== undefined) heard.push(sent.node);
    if (sent.heardCheck !== undefined) heardChecks.push(sent.node);
    if (sent.written !== undefined) answers.push(sent.node);
  });
  return {
    asks,
    askIds,
    heard,
    /** The nodes that sent an ask's heard check (at its heard bound): what each read after it, it judges after. */
    heardChecks,
    answers,
    /**
     * Sends `marker` on `node`'s own connection and waits until it is heard: what that node
     * published before it has been heard too (one connection's commands run in order).
     */
    async after(node: { link: RedisLink }, marker: string) {
      await node.link.publish(EVENTS_CHANNEL, marker);
      await waitFor(`the marker ${marker}`, () => markers.includes(marker), 10_000);
    },
    /** Publishes `text` on the channel, from this listener's own connection. */
    publish: (text: string) => link.publish(EVENTS_CHANNEL, text),
    close: () => link.close(),
  };
}

/** A live-stream reader on `bus`, and the request ids of the finished requests it was given. */
export function finishedReader(bus: EventBus) {
  const read: string[] = [];
  const reader = bus.subscribe({
    relayed: true,
    filter: (event) => {
      if (event.type === "request.finished") read.push(event.record.requestId);
      return false;
    },
  });
  return { read, close: () => reader.close() };
}

/** `requestId` finished on the node of `bus`. */
export function finish(bus: EventBus, requestId: string): void {
  bus.publish({ type: "request.finished", at: 0, record: withoutBodies(makeRecord({ requestId })) });
}

/** The directory's entry of another node `id` of this release (it answers asks) or, `older`, of one before asks. */
export function peerEntry(id: string, older = false): NodeEntry {
  const answers = older ? {} : { answersAsks: true, saysHeard: true };
  return { id, url: `http://${id}.invalid`, at: 0, workers: [], ...answers };
}

/** The entry of a node of a release that answers asks without saying it heard them (before `heard`). */
export function silentPeerEntry(id: string): NodeEntry {
  return { id, url: `http://${id}.invalid`, at: 0, workers: [], answersAsks: true };
}

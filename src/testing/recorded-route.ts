import type OpenAI from "openai";
import { gatewaySdks } from "./gateway-sdks.ts";
import { startUpstreamGateway, type UpstreamGateway } from "./upstream-gateway.ts";

/** A gateway with one model on one route, what its fake upstream was sent, and an SDK over it. */
export interface RecordedRoute {
  readonly gateway: UpstreamGateway;
  readonly openai: OpenAI;
  /** Each request body the upstream was sent, in order. */
  readonly sent: Record<string, unknown>[];
}

/** Where each kind of upstream's API starts under the fake's origin. */
const BASE_PATH = { anthropic: "", openai: "/v1" } as const;

/**
 * A stored gateway whose model `model` goes to one route, a fake upstream of `type` (no retries),
 * that `answer` answers given the body it was sent; the official OpenAI SDK over the gateway.
 */
export async function startRecordedRoute(
  type: keyof typeof BASE_PATH,
  model: string,
  answer: (body: Record<string, unknown>) => Response,
): Promise<RecordedRoute> {
  const sent: Record<string, unknown>[] = [];
  const gateway = await startUpstreamGateway(
    async (request) => {
      const body = (await request.json()) as Record<string, unknown>;
      sent.push(body);
      return answer(body);
    },
    (upstream) => ({
      providers: [{ name: "up", type, base_url: `${upstream}${BASE_PATH[type]}`, api_key: "k" }],
      models: [{ name: model, routes: [{ provider: "up", model: "up" }] }],
      routing: { retries: 0 },
    }),
  );
  return { gateway, openai: gatewaySdks(gateway).openai, sent };
}

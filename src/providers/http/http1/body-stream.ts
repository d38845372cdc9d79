import { type BodyFlow, HeldBody } from "./held-body.ts";

/**
 * A response body as a `ReadableStream` (a `Response`'s body). High-water mark 0: `pull` means a
 * reader is waiting, and bytes that arrive while it waits go straight to it (held-body.ts).
 */
export class BodyStream extends HeldBody {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;

  constructor(flow: BodyFlow) {
    super(flow);
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => {
          if (this.ended) return;
          const held = this.pulled();
          if (held) this.controller.enqueue(held);
        },
        cancel: () => this.cancelled(),
      },
      { highWaterMark: 0 },
    );
  }

  protected handOver(bytes: Uint8Array): void {
    this.controller.enqueue(bytes);
  }

  protected finish(rest: Uint8Array | undefined): void {
    if (rest) this.controller.enqueue(rest);
    this.controller.close();
  }

  protected failWith(error: unknown): void {
    this.controller.error(error);
  }
}

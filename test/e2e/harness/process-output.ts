/** Collects a child's output as text while it runs, so tests can wait for and search lines. */
export class ProcessOutput {
  private text = "";
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array> | null | undefined) {
    this.done = stream ? this.collect(stream) : Promise.resolve();
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.text += decoder.decode(chunk, { stream: true });
  }

  get all(): string {
    return this.text;
  }

  match(pattern: RegExp): RegExpMatchArray | null {
    return this.text.match(pattern);
  }
}

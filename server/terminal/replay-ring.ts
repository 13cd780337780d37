/** Output chunks shorter than this are joined, so keystroke echoes do not make the ring a million tiny strings. */
const CHUNK = 4096;

/**
 * The end of a session's output, kept for the next attach: at most `limit` bytes in UTF-8 (as on
 * the wire). Past the limit the oldest output is dropped; a chunk alone over the limit keeps its
 * end, from a character boundary on.
 */
export class ReplayRing {
  /** The chunks from #head on, with their UTF-8 sizes. */
  #chunks: string[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;

  constructor(readonly limit: number) {}

  /** Bytes (UTF-8) held; never more than the limit. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Everything held, oldest first. */
  text(): string {
    return this.#chunks.slice(this.#head).join('');
  }

  push(text: string): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    const last = this.#chunks.length - 1;
    if (last >= this.#head && this.#sizes[last]! < CHUNK) {
      this.#chunks[last] += text;
      this.#sizes[last]! += bytes;
    } else {
      this.#chunks.push(text);
      this.#sizes.push(bytes);
    }
    this.#bytes += bytes;
    while (this.#bytes > this.limit && this.#chunks.length - this.#head > 1) {
      this.#bytes -= this.#sizes[this.#head]!;
      this.#chunks[this.#head] = '';
      this.#head += 1;
    }
    if (this.#bytes > this.limit) {
      // One chunk alone is over the limit: keep its end, from a character boundary on.
      const buf = Buffer.from(this.#chunks[this.#head]!, 'utf8');
      let from = buf.length - this.limit;
      while (from < buf.length && (buf[from]! & 0xc0) === 0x80) from += 1;
      const kept = buf.subarray(from);
      this.#chunks[this.#head] = kept.toString('utf8');
      this.#sizes[this.#head] = kept.length;
      this.#bytes = kept.length;
    }
    // Drop the emptied front of the arrays now and then (amortised O(1) per chunk).
    if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Output shorter than this is gathered as text before it becomes a chunk, so keystroke echoes do not make the ring a million tiny buffers. */
const CHUNK = 4096;

/**
 * The end of a session's output, kept for the next attach: at most `limit` bytes in UTF-8 (as on
 * the wire). Past the limit the oldest output is dropped, from a character boundary on.
 *
 * The chunks are UTF-8 Buffers, whose bytes live outside V8's heap: while a command floods the
 * terminal, the ring is the only holder of its output that outlives a few milliseconds, and as
 * strings its 256 KB would be copied by every young-generation collection (hundreds of them per
 * 100 MB with the server's small young generation, `--max-semi-space-size=1`), about a third of
 * the server's CPU time in a flood (bench/RESULTS.md, "Terminal throughput").
 */
export class ReplayRing {
  /** The chunks from #head on. */
  #chunks: Buffer[] = [];
  #head = 0;
  /** Bytes of the chunks from #head on. */
  #chunkBytes = 0;
  /** The newest output, after the chunks, while it is shorter than CHUNK. */
  #small = '';
  #smallBytes = 0;

  constructor(readonly limit: number) {}

  /** Bytes (UTF-8) held; never more than the limit. */
  get bytes(): number {
    return this.#chunkBytes + this.#smallBytes;
  }

  /** Everything held, oldest first. */
  text(): string {
    return Buffer.concat(this.#chunks.slice(this.#head)).toString('utf8') + this.#small;
  }

  push(text: string): void {
    if (!text) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.#smallBytes + bytes < CHUNK) {
      this.#small += text;
      this.#smallBytes += bytes;
    } else {
      this.#seal();
      this.#add(Buffer.from(text, 'utf8'));
    }
    if (this.bytes > this.limit) this.#trim();
  }

  /** The gathered text becomes a chunk. */
  #seal(): void {
    if (!this.#small) return;
    const small = Buffer.from(this.#small, 'utf8');
    this.#small = '';
    this.#smallBytes = 0;
    this.#add(small);
  }

  #add(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#chunkBytes += chunk.length;
  }

  #trim(): void {
    // The gathered text stays text (echoes would otherwise become tiny buffers), unless it alone is too much.
    if (this.#smallBytes > this.limit) this.#seal();
    const room = this.limit - this.#smallBytes;
    while (this.#chunkBytes > room) {
      const head = this.#chunks[this.#head]!;
      const excess = this.#chunkBytes - room;
      if (head.length <= excess) {
        this.#chunkBytes -= head.length;
        this.#chunks[this.#head] = EMPTY;
        this.#head += 1;
        continue;
      }
      // Keep the end of the oldest chunk, from a character boundary on (a view: its bytes go with the chunk).
      let from = excess;
      while (from < head.length && (head[from]! & 0xc0) === 0x80) from += 1;
      this.#chunks[this.#head] = head.subarray(from);
      this.#chunkBytes -= from;
    }
    // Drop the emptied front of the array now and then (amortised O(1) per chunk).
    if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);

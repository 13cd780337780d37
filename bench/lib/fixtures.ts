import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A content folder (content/docs/...) with `n` chapters of one step each, named bench-01,
 * bench-02, ...: one shell per chapter, so `n` chapters give up to `n` sessions.
 */
export function makeChapters(root: string, n: number): string {
  const docs = join(root, 'docs', 'chapters');
  mkdirSync(docs, { recursive: true });
  for (let i = 1; i <= n; i++) {
    const id = `bench-${String(i).padStart(2, '0')}`;
    const text = `---
title: Bench chapter ${i}
description: A chapter for the benchmarks (bench/).
sidebar:
  order: ${i}
steps:
  - id: hello
    title: Say hello
    duration: 5s
    run:
      - echo hello
    check:
      kind: command
      run: 'true'
---
Fixture for bench/.
`;
    writeText(join(docs, `${id}.mdx`), text);
  }
  return root;
}

function writeText(file: string, text: string): void {
  const fd = openSync(file, 'w');
  writeSync(fd, text);
  closeSync(fd);
}

/** The chapter ids makeChapters() writes. */
export function chapterIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);
}

/**
 * A text file of exactly `bytes` bytes: lines of 100 bytes (99 printable ASCII characters and
 * \n), each with its line number, so the pty turns it into bytes * 101 / 100 bytes of output.
 */
export function makeTextFile(file: string, bytes: number): { file: string; bytes: number; lines: number } {
  const lineLen = 100;
  const lines = Math.floor(bytes / lineLen);
  if (existsSync(file) && statSync(file).size === lines * lineLen) return { file, bytes: lines * lineLen, lines };
  const fd = openSync(file, 'w');
  const filler = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 the quick brown fox jumps over it';
  const perChunk = 10_000;
  for (let i = 0; i < lines; i += perChunk) {
    let s = '';
    for (let j = i; j < Math.min(lines, i + perChunk); j++) {
      const head = `${String(j).padStart(8, '0')} `;
      s += `${head}${filler.slice(0, lineLen - 1 - head.length)}\n`;
    }
    writeSync(fd, s);
  }
  closeSync(fd);
  return { file, bytes: lines * lineLen, lines };
}

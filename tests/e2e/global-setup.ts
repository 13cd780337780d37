import { execFileSync } from 'node:child_process';

/** Builds the site once before the browser tests (the server serves dist/). */
export default function globalSetup(): void {
  execFileSync('npx', ['astro', 'build'], { stdio: 'inherit' });
}

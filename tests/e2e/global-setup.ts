import { execFileSync } from 'node:child_process';

/** Builds the site once before the browser tests (the server serves dist/). */
export default function globalSetup(): void {
  // Astro's telemetry is an outside request: turned off here (it is not a config option).
  execFileSync('npx', ['astro', 'build'], { stdio: 'inherit', env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' } });
}

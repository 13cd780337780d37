import { buildIfNeeded } from '../../server/cli/build.ts';

/** Builds the site before the browser tests when dist/ is missing or older than its sources. */
export default async function globalSetup(): Promise<void> {
  await buildIfNeeded(false, () => console.log('Building the site for the browser tests…'));
}

// The real headless Chromium the console tests drive (Debian's `chromium`, through playwright-core).
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Starts Chromium, or says how to get it when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the console test drives a real headless browser. Install Debian's package (apt-get install chromium; .ci/run does it when missing) or point CHROMIUM_PATH at a Chromium binary`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * Debian's Chromium driven by playwright-core (ENVIRONMENT.md §3): no downloads, no network.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-quic',
	'--no-first-run',
	'--disable-sync',
];

export function launchBrowser(): Promise< Browser > {
	return chromium.launch( {
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		headless: true,
		args: CHROMIUM_ARGS,
	} );
}

import { toApiError } from './api-error';
import type { Fetcher, FetcherOptions } from './fetcher';

/**
 * Runs one call and normalizes any rejection to an ApiError.
 *
 * @throws {ApiError} the server's code (`meeting_not_found`, `forbidden`, …) or `fetch_error`.
 */
export async function send( fetcher: Fetcher, options: FetcherOptions ): Promise< unknown > {
	try {
		return await fetcher( { ...options, parse: true } );
	} catch ( thrown ) {
		throw toApiError( thrown );
	}
}

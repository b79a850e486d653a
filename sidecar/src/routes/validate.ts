import { fieldErrorsFromIssues } from '@bkx-video/contracts';
import type { z } from 'zod';

import { AppError } from '../errors';

/**
 * Parses input with a contract schema.
 *
 * @throws AppError invalid_request with per-field details.
 */
export function parse< S extends z.ZodType >( schema: S, input: unknown ): z.infer< S > {
	const result = schema.safeParse( input );
	if ( ! result.success ) {
		throw new AppError( 'invalid_request', { details: fieldErrorsFromIssues( result.error.issues ) } );
	}
	return result.data;
}

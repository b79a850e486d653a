/**
 * The setup wizard's platform checks: `POST /platforms/{platform}/check` (admin only).
 *
 * A check runs against the SAVED settings. A vendor refusal is not an HTTP error: it answers 200
 * with `ok: false` and the adapter's sentence for the admin (what is wrong and how to fix it), so
 * the wizard can show each step's result in place. Bad input is 400 `invalid_request`.
 */
import { z } from 'zod';

import { PlatformIdSchema } from './platform';

/** `connection`: token + one harmless read. `test_meeting`: create a meeting ~1 day ahead, then delete it. */
export const PlatformCheckStepSchema = z.enum( [ 'connection', 'test_meeting' ] );
export type PlatformCheckStep = z.infer< typeof PlatformCheckStepSchema >;

export const PlatformCheckParamsSchema = z.object( { platform: PlatformIdSchema } );
export type PlatformCheckParams = z.infer< typeof PlatformCheckParamsSchema >;

/**
 * Body of a check. `organizer_email` is the Microsoft 365 sign-in of a provider, the test
 * organizer for Teams (ignored by the other platforms); an empty string means "none".
 */
export const PlatformCheckBodySchema = z
	.object( {
		step: PlatformCheckStepSchema,
		organizer_email: z.union( [ z.literal( '' ), z.email().max( 254 ) ] ).optional(),
	} )
	.strict();
export type PlatformCheckBody = z.infer< typeof PlatformCheckBodySchema >;

/**
 * Why a check failed, for clients that pick a translated headline: the adapter's failure kind
 * (`not_configured`, `unauthorized`, `rejected`, `not_found`, `unavailable`, `rate_limited`) or
 * `not_available` when the platform has no check.
 */
export const PlatformCheckFailureSchema = z.enum( [ 'not_configured', 'unauthorized', 'rejected', 'not_found', 'unavailable', 'rate_limited', 'not_available' ] );
export type PlatformCheckFailure = z.infer< typeof PlatformCheckFailureSchema >;

/** Facts about the run; never a secret, a token or a join link. */
export const PlatformCheckDetailsSchema = z
	.object( {
		failure: PlatformCheckFailureSchema.optional(),
		/** test_meeting: whether the meeting was made and whether it is gone again. */
		created: z.boolean().optional(),
		deleted: z.boolean().optional(),
		/** test_meeting: the platform's meeting id (to find it by hand if deleting failed). */
		meeting_id: z.string().optional(),
		/** Milliseconds the step took. */
		duration_ms: z.number().int().nonnegative().optional(),
	} )
	.strict();
export type PlatformCheckDetails = z.infer< typeof PlatformCheckDetailsSchema >;

export const PlatformCheckResultSchema = z.object( {
	step: PlatformCheckStepSchema,
	ok: z.boolean(),
	/** A sentence for the admin: what worked, or what is wrong (with the fix when the vendor's answer names it). */
	message: z.string(),
	/** What to do next, when the message does not say it already. */
	fix: z.string().optional(),
	details: PlatformCheckDetailsSchema.optional(),
} );
export type PlatformCheckResult = z.infer< typeof PlatformCheckResultSchema >;

/** Topic of the meeting the test_meeting step creates (and deletes at once). */
export const TEST_MEETING_TOPIC = 'BookingX test meeting — safe to delete';

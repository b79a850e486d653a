import { z } from 'zod';

import { PlatformIdSchema } from './platform';

/**
 * A platform whose credentials stopped working (issue 4, integration health): what it said, since
 * when, and the open consultations it affects (listed until the credentials work again).
 */
export const PlatformHealthSchema = z.object( {
	platform: PlatformIdSchema,
	label: z.string(),
	status: z.enum( [ 'ok', 'failing' ] ),
	/** The platform's refusal in the admin's words, with the fix. */
	message: z.string(),
	since: z.iso.datetime(),
	last_probe_at: z.iso.datetime().nullable(),
	affected_count: z.number().int(),
	affected: z.array(
		z.object( {
			consultation_id: z.number().int(),
			booking_id: z.number().int(),
			scheduled_start: z.iso.datetime(),
			customer_name: z.string().nullable(),
			/** The platform that serves it now (after a failover), or null while it has no meeting. */
			served_by: PlatformIdSchema.nullable(),
			problem: z.string().nullable(),
		} )
	),
} );
export type PlatformHealth = z.infer< typeof PlatformHealthSchema >;

/** A consultation served by another platform than planned, and each refusal on the way (failover). */
export const FailoverSchema = z.object( {
	consultation_id: z.number().int(),
	booking_id: z.number().int(),
	scheduled_start: z.iso.datetime(),
	customer_name: z.string().nullable(),
	served_by: PlatformIdSchema.nullable(),
	failures: z.array( z.object( { platform: z.string(), reason: z.string() } ) ),
} );
export type Failover = z.infer< typeof FailoverSchema >;

/** GET /status: what the admin screen shows about the sidecar. */
export const SidecarStatusSchema = z.object( {
	version: z.string(),
	migrations: z.object( {
		current: z.string().nullable(),
		pending: z.array( z.string() ),
	} ),
	outbox_backlog: z.number().int(),
	/** Platforms whose credentials fail now (empty when all work). */
	platform_health: z.array( PlatformHealthSchema ).default( [] ),
	/** Upcoming consultations another platform serves because the chosen one refused or was down. */
	failovers: z.array( FailoverSchema ).default( [] ),
	time: z.iso.datetime(),
} );
export type SidecarStatus = z.infer< typeof SidecarStatusSchema >;

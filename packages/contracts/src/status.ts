import { z } from 'zod';

/** GET /status: what the admin screen shows about the sidecar. */
export const SidecarStatusSchema = z.object( {
	version: z.string(),
	migrations: z.object( {
		current: z.string().nullable(),
		pending: z.array( z.string() ),
	} ),
	outbox_backlog: z.number().int(),
	time: z.iso.datetime(),
} );
export type SidecarStatus = z.infer< typeof SidecarStatusSchema >;

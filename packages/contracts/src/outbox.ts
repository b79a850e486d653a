/**
 * Outbox events the plugin's BookingX listeners append (table `{prefix}bkx_video_events`).
 *
 * The sidecar treats every kind the same way: re-read the booking and make its consultation
 * match. `kind` and `snapshot` are kept for the audit trail and for deleted bookings.
 */
import { z } from 'zod';

export const OutboxKindSchema = z.enum( [
	'booking.saved',
	'booking.status',
	'booking.bulk_status',
	'booking.trashed',
	'booking.untrashed',
	'booking.deleted',
] );
export type OutboxKind = z.infer< typeof OutboxKindSchema >;

/** What PHP captured when the hook fired (best effort; the sidecar re-reads the booking). */
export const BookingSnapshotSchema = z
	.object( {
		status: z.string().optional(),
		hook: z.string().optional(),
		start: z.string().optional(),
		end: z.string().optional(),
		seat_id: z.union( [ z.string(), z.number() ] ).optional(),
		base_id: z.union( [ z.string(), z.number() ] ).optional(),
	} )
	.passthrough();
export type BookingSnapshot = z.infer< typeof BookingSnapshotSchema >;

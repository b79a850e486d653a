/**
 * Consultations as the join block and the admin see them, and the join call.
 */
import { z } from 'zod';

import { PlatformIdSchema } from './platform';

export const ConsultationStatusSchema = z.enum( [
	'pending',
	'scheduled',
	'in_progress',
	'completed',
	'cancelled',
	'no_show',
	'failed',
] );
export type ConsultationStatus = z.infer< typeof ConsultationStatusSchema >;

/** Where the viewer stands relative to the join window. */
export const JoinStateSchema = z.enum( [ 'too_early', 'open', 'ended', 'cancelled' ] );
export type JoinState = z.infer< typeof JoinStateSchema >;

export const ViewerRoleSchema = z.enum( [ 'host', 'customer', 'admin', 'manager' ] );
export type ViewerRole = z.infer< typeof ViewerRoleSchema >;

const isoUtc = z.iso.datetime();

/** GET /consultations/current and /consultations/{id}. Never carries a join URL or password. */
export const ConsultationViewSchema = z.object( {
	id: z.number().int().positive(),
	booking_id: z.number().int().positive(),
	status: ConsultationStatusSchema,
	platform: PlatformIdSchema,
	scheduled_start: isoUtc,
	scheduled_end: isoUtc,
	duration_minutes: z.number().int(),
	join_opens_at: isoUtc,
	join_closes_at: isoUtc,
	state: JoinStateSchema,
	provider_name: z.string(),
	service_name: z.string(),
	viewer_role: ViewerRoleSchema,
	/** The sidecar's clock, so a countdown is right even when the viewer's clock is not. */
	server_time: isoUtc,
} );
export type ConsultationView = z.infer< typeof ConsultationViewSchema >;

/** POST /consultations/{id}/join. The URL is minted per click and per role; it is never stored in a page. */
export const JoinResponseSchema = z.object( {
	join_url: z.url(),
	platform: PlatformIdSchema,
	role: z.enum( [ 'host', 'participant' ] ),
	expires_at: isoUtc.nullable(),
} );
export type JoinResponse = z.infer< typeof JoinResponseSchema >;

/**
 * GET /consultations/{id}/calendar: "add to calendar" for the viewer. The `.ics` (METHOD:PUBLISH,
 * same UID as the invitation, so calendars merge them) and the Google/Outlook links carry the
 * viewer's own join page link — the personal one for a guest holding their token — never a
 * platform URL or password.
 */
export const CalendarEntrySchema = z.object( {
	filename: z.string(),
	ics: z.string(),
	google_url: z.url(),
	outlook_url: z.url(),
} );
export type CalendarEntry = z.infer< typeof CalendarEntrySchema >;

/** Query of the routes a guest can call with the access token from their invitation link. */
export const AccessTokenQuerySchema = z.object( {
	bkx_vc: z.string().regex( /^[A-Za-z0-9_-]{20,128}$/, 'This link is not valid.' ).optional(),
} );
export type AccessTokenQuery = z.infer< typeof AccessTokenQuerySchema >;

export const ConsultationIdParamsSchema = z.object( {
	id: z.coerce.number().int().positive(),
} );

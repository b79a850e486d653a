/**
 * Zoom webhooks (platform-contracts §1.6): the v0 signature over the raw body, the URL validation
 * answer, the envelope, and the key that makes a retried delivery a duplicate.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { z } from 'zod';

/** Zoom signs with seconds; older or newer than this is refused (a replay, or a wrong clock). */
export const MAX_SKEW_SECONDS = 300;

export const ZOOM_EVENTS = [
	'meeting.started',
	'meeting.ended',
	'meeting.participant_joined',
	'meeting.participant_left',
	'recording.completed',
	'recording.transcript_completed',
] as const;
export type ZoomEventName = ( typeof ZOOM_EVENTS )[ number ];

export const ZoomEnvelopeSchema = z.object( {
	event: z.string().min( 1 ),
	event_ts: z.number(),
	payload: z.object( { account_id: z.string().optional(), object: z.record( z.string(), z.unknown() ).optional(), plainToken: z.string().optional() } ).loose(),
	download_token: z.string().optional(),
} );
export type ZoomEnvelope = z.infer< typeof ZoomEnvelopeSchema >;

/** `meeting.*` objects carry the id as a string, `recording.*` as a number: one spelling for lookups. */
export const ZoomIdSchema = z.union( [ z.string().min( 1 ), z.number().int().nonnegative() ] ).transform( String );

export const ZoomParticipantSchema = z
	.object( {
		user_id: z.union( [ z.string(), z.number() ] ).transform( String ).optional(),
		user_name: z.string().optional(),
		id: z.string().optional(),
		participant_uuid: z.string().optional(),
		join_time: z.string().optional(),
		leave_time: z.string().optional(),
		email: z.string().optional(),
		participant_user_id: z.string().optional(),
	} )
	.loose();

export const ZoomMeetingObjectSchema = z
	.object( {
		id: ZoomIdSchema,
		uuid: z.string().optional(),
		host_id: z.string().optional(),
		start_time: z.string().optional(),
		end_time: z.string().optional(),
		participant: ZoomParticipantSchema.optional(),
	} )
	.loose();

export type SignatureCheck = { ok: true } | { ok: false; code: 'webhook_signature_missing' | 'webhook_timestamp_stale' | 'webhook_signature_invalid' };

/** `"v0=" + hex(HMAC_SHA256(secret, "v0:" + timestamp + ":" + rawBody))`, compared in constant time. */
export function verifyZoomSignature( secret: string, raw: Buffer, timestamp: string | undefined, signature: string | undefined, now: Date ): SignatureCheck {
	if ( ! timestamp || ! signature || ! /^\d{1,12}$/.test( timestamp ) ) {
		return { ok: false, code: 'webhook_signature_missing' };
	}
	if ( Math.abs( now.getTime() / 1000 - Number( timestamp ) ) > MAX_SKEW_SECONDS ) {
		return { ok: false, code: 'webhook_timestamp_stale' };
	}
	const expected = Buffer.from( `v0=${ createHmac( 'sha256', secret ).update( `v0:${ timestamp }:` ).update( raw ).digest( 'hex' ) }` );
	const given = Buffer.from( signature );
	if ( given.length !== expected.length || ! timingSafeEqual( given, expected ) ) {
		return { ok: false, code: 'webhook_signature_invalid' };
	}
	return { ok: true };
}

/** The answer to `endpoint.url_validation`: the plain token and its HMAC with our secret. */
export function zoomUrlValidation( secret: string, plainToken: string ): { plainToken: string; encryptedToken: string } {
	return { plainToken, encryptedToken: createHmac( 'sha256', secret ).update( plainToken ).digest( 'hex' ) };
}

/**
 * What makes two deliveries the same event: Zoom's retries repeat the notification, so the event
 * name, its timestamp and the meeting instance (and participant and time, for joins and leaves)
 * identify it; the body's hash is the fallback.
 */
export function zoomEventKey( envelope: ZoomEnvelope, raw: Buffer ): string {
	const object = ( envelope.payload.object ?? {} ) as Record< string, unknown >;
	const participant = ( object.participant ?? {} ) as Record< string, unknown >;
	const parts = [
		envelope.event,
		String( envelope.event_ts ),
		String( object.uuid ?? object.id ?? '' ),
		String( participant.participant_uuid ?? participant.user_id ?? '' ),
		String( participant.join_time ?? participant.leave_time ?? '' ),
	];
	const digest = createHash( 'sha256' );
	digest.update( object.uuid || object.id ? parts.join( '\n' ) : raw );
	return `${ envelope.event.slice( 0, 60 ) }:${ digest.digest( 'hex' ).slice( 0, 40 ) }`;
}

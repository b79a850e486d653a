/**
 * Who may do what: the one place that maps an identity (and, for consultations, ownership) to
 * permissions. Spec §2 roles: admin, provider (host), manager, customer.
 */
import type { IdentityClaims, ViewerRole } from '@bkx-video/contracts';

import type { Consultation } from '../repositories/consultations-repository';

export type Action =
	| 'settings.read'
	| 'settings.write'
	| 'status.read'
	| 'system.nudge'
	| 'consultation.view'
	| 'consultation.join'
	| 'recording.view'
	| 'recording.manage'
	| 'recording.erase'
	| 'recording.export'
	| 'notes.write';

/** What a recording decision needs to know about the recording. */
export interface RecordingFacts {
	/** Shared with the customer by the host, or `auto_send_recording` is on. */
	shared: boolean;
	/** Processed and playable (customers never see work in progress or failures). */
	available: boolean;
}

const has = ( identity: IdentityClaims, cap: string ) => identity.caps.includes( cap );

/**
 * How the identity relates to a consultation, strongest first; null when it does not.
 *
 * @param tokenConsultationId the consultation the request's guest access token opens, if any.
 */
export function viewerRole(
	identity: IdentityClaims,
	consultation: Pick< Consultation, 'id' | 'hostId' | 'customerUserId' | 'customerEmail' >,
	tokenConsultationId: number | null
): ViewerRole | null {
	if ( has( identity, 'manage_options' ) ) {
		return 'admin';
	}
	if ( identity.sub > 0 && identity.sub === consultation.hostId ) {
		return 'host';
	}
	if ( identity.sub > 0 && identity.sub === consultation.customerUserId ) {
		return 'customer';
	}
	const email = identity.email?.trim().toLowerCase();
	if ( identity.sub > 0 && email && email === consultation.customerEmail?.trim().toLowerCase() ) {
		return 'customer';
	}
	if ( tokenConsultationId !== null && tokenConsultationId === consultation.id ) {
		return 'customer';
	}
	if ( has( identity, 'bkx_video_manage' ) ) {
		return 'manager';
	}
	return null;
}

/**
 * Whether the identity may perform `action` (on a consultation, given the viewer's role there; on a
 * recording, also given `recording`).
 */
export function can( identity: IdentityClaims, action: Action, role: ViewerRole | null = null, recording?: RecordingFacts ): boolean {
	switch ( action ) {
		case 'settings.read':
		case 'settings.write':
		case 'status.read':
			return has( identity, 'manage_options' );
		case 'system.nudge':
			return has( identity, 'bkx_video_system' ) || has( identity, 'manage_options' );
		case 'consultation.view':
			return role !== null;
		case 'consultation.join':
			// Managers see consultations (analytics) but do not take part in them.
			return role === 'admin' || role === 'host' || role === 'customer';
		case 'recording.view':
			// Private to the host unless shared; managers see figures, not recordings.
			return role === 'admin' || role === 'host' || ( role === 'customer' && !! recording?.shared && !! recording.available );
		case 'recording.manage':
			return role === 'admin' || role === 'host';
		case 'notes.write':
			// Session notes are the provider's working notes: never the customer's or a manager's.
			return role === 'admin' || role === 'host';
		case 'recording.erase':
		case 'recording.export':
			return has( identity, 'manage_options' ) || has( identity, 'bkx_video_system' );
	}
}

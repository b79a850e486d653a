/**
 * The provider's session notes, as the room's Notes panel reads and autosaves them. Only the
 * consultation's host and admins may read or write (customers and managers get 403); each author
 * has a text of their own.
 */
import {
	NOTES_MAX_LENGTH,
	type IdentityClaims,
	type SaveSessionNotesBody,
	type SessionNotes,
} from '@bkx-video/contracts';

import { AppError } from '../errors';
import { can } from '../policy/can';
import type { SessionNotesRepository, StoredNotes } from '../repositories/session-notes-repository';
import type { ConsultationsService } from './consultations-service';

interface Deps {
	notes: SessionNotesRepository;
	consultations: ConsultationsService;
	clock: () => Date;
}

const toView = ( n: StoredNotes ): SessionNotes => ( {
	consultation_id: n.consultationId,
	notes: n.notes,
	version: n.version,
	updated_at: n.updatedAt ? n.updatedAt.toISOString() : null,
	is_shared_with_customer: n.sharedWithCustomer,
} );

export function createSessionNotesService( deps: Deps ) {
	/** @throws AppError meeting_not_found, unauthenticated, forbidden (not the host or an admin). */
	async function authorize( identity: IdentityClaims, id: number, accessToken: string | undefined ): Promise< number > {
		const view = await deps.consultations.get( identity, id, accessToken );
		if ( ! can( identity, 'notes.write', view.viewer_role ) || identity.sub <= 0 ) {
			throw new AppError( 'forbidden', { message: 'Only the provider of this consultation can see its session notes.' } );
		}
		return view.id;
	}

	return {
		/** @throws AppError as {@link authorize}. */
		async get( identity: IdentityClaims, id: number, accessToken?: string ): Promise< SessionNotes > {
			const consultationId = await authorize( identity, id, accessToken );
			return toView( await deps.notes.get( consultationId, identity.sub ) );
		},

		/**
		 * Saves the author's notes if nobody saved since `base_version`. A retry of a save that
		 * went through (same text) answers the stored notes instead of a conflict.
		 *
		 * @throws AppError payload_too_large (over NOTES_MAX_LENGTH, nothing written),
		 *   conflict (409, `data.current` holds the stored notes), and as {@link authorize}.
		 */
		async save( identity: IdentityClaims, id: number, body: SaveSessionNotesBody, accessToken?: string ): Promise< SessionNotes > {
			const consultationId = await authorize( identity, id, accessToken );
			if ( body.notes.length > NOTES_MAX_LENGTH ) {
				throw new AppError( 'payload_too_large', {
					message: `Session notes can be at most ${ NOTES_MAX_LENGTH.toLocaleString( 'en-US' ) } characters (these have ${ body.notes.length.toLocaleString( 'en-US' ) }). Nothing was saved.`,
					data: { max_length: NOTES_MAX_LENGTH },
				} );
			}
			const outcome = await deps.notes.save( consultationId, identity.sub, body.notes, body.base_version, deps.clock() );
			if ( outcome.saved ) {
				return toView( outcome.notes );
			}
			if ( outcome.current.notes === body.notes ) {
				return toView( outcome.current );
			}
			throw new AppError( 'conflict', {
				message: 'These notes were changed in another window. Both versions are shown: keep one, or merge them, and save again.',
				data: { current: toView( outcome.current ) },
			} );
		},
	};
}

export type SessionNotesService = ReturnType< typeof createSessionNotesService >;

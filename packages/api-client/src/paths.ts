/**
 * REST paths of `bookingx/v1/video` (architecture §1). Zod-free: shared by both entries.
 */
import { ApiError } from './api-error';

export const NAMESPACE = '/bookingx/v1/video';

export interface AccessOptions {
	/** The guest access token from the invitation link (`?bkx_vc=`), architecture §3. */
	accessToken?: string | null | undefined;
}

function withToken( path: string, options: AccessOptions | undefined ): string {
	const token = options?.accessToken;
	return token ? `${ path }?bkx_vc=${ encodeURIComponent( token ) }` : path;
}

/** @throws {ApiError} `invalid_request` when `id` is not a positive integer (no request is sent). */
function consultationPath( id: number ): string {
	if ( ! Number.isSafeInteger( id ) || id <= 0 ) {
		throw new ApiError( {
			code: 'invalid_request',
			message: 'Some details are missing or invalid.',
			status: 0,
			details: { id: 'Use a positive whole number.' },
		} );
	}
	return `${ NAMESPACE }/consultations/${ id }`;
}

const PLATFORM_IDS = [ 'zoom', 'teams', 'meet', 'jitsi', 'webrtc' ];

/** @throws {ApiError} `invalid_request` when `platform` is not a platform slug (no request is sent). */
function platformPath( platform: string ): string {
	if ( ! PLATFORM_IDS.includes( platform ) ) {
		throw new ApiError( {
			code: 'invalid_request',
			message: 'Some details are missing or invalid.',
			status: 0,
			details: { platform: `Use one of ${ PLATFORM_IDS.join( ', ' ) }.` },
		} );
	}
	return `${ NAMESPACE }/platforms/${ platform }`;
}

const ROOM_ID = /^r_[a-z0-9]{20}$/;

/** @throws {ApiError} `invalid_request` when `room` is not a room id (no request is sent). */
function roomPath( room: string ): string {
	if ( ! ROOM_ID.test( room ) ) {
		throw new ApiError( {
			code: 'invalid_request',
			message: 'Some details are missing or invalid.',
			status: 0,
			details: { room: 'This room link is not complete. Please use the link in your invitation.' },
		} );
	}
	return `${ NAMESPACE }/rooms/${ room }`;
}

export const paths = {
	current: ( options?: AccessOptions ) => withToken( `${ NAMESPACE }/consultations/current`, options ),
	consultation: ( id: number, options?: AccessOptions ) => withToken( consultationPath( id ), options ),
	join: ( id: number, options?: AccessOptions ) => withToken( `${ consultationPath( id ) }/join`, options ),
	calendar: ( id: number, options?: AccessOptions ) => withToken( `${ consultationPath( id ) }/calendar`, options ),
	/** The provider's session notes (hosts and admins only). */
	notes: ( id: number ) => `${ consultationPath( id ) }/notes`,
	roomTicket: ( room: string, options?: AccessOptions ) => withToken( `${ roomPath( room ) }/ticket`, options ),
	settings: () => `${ NAMESPACE }/settings`,
	status: () => `${ NAMESPACE }/status`,
	platformCheck: ( platform: string ) => `${ platformPath( platform ) }/check`,
	meetOAuth: () => `${ platformPath( 'meet' ) }/oauth`,
	meetOAuthStart: () => `${ platformPath( 'meet' ) }/oauth/start`,
	meetOAuthExchange: () => `${ platformPath( 'meet' ) }/oauth/exchange`,
};

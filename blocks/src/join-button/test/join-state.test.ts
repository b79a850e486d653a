/**
 * External dependencies
 */
import { describe, expect, it } from 'vitest';

/**
 * Internal dependencies
 */
import { ERROR_MESSAGES, PLATFORM_LABELS } from '@bkx-video/contracts';
import type {
	ConsultationView,
	ErrorCode,
	PlatformId,
} from '@bkx-video/contracts';
import {
	buildModel,
	clockSkew,
	errorMessage,
	formatCountdown,
	formatDateTime,
	platformLabel,
} from '../join-state';
import type { JoinButtonOptions, JoinUiState } from '../join-state';

const consultation: ConsultationView = {
	id: 7,
	booking_id: 42,
	status: 'scheduled',
	platform: 'jitsi',
	scheduled_start: '2030-01-01T10:00:00.000Z',
	scheduled_end: '2030-01-01T10:30:00.000Z',
	duration_minutes: 30,
	join_opens_at: '2030-01-01T09:50:00.000Z',
	join_closes_at: '2030-01-01T11:00:00.000Z',
	state: 'too_early',
	provider_name: 'Dr. Ada Lovelace',
	service_name: 'Follow-up',
	viewer_role: 'customer',
	server_time: '2030-01-01T09:45:00.000Z',
};

const options: JoinButtonOptions = {
	buttonLabel: '',
	showCountdown: true,
	showDetails: true,
};
const format = { locale: 'en-US', timeZone: 'America/New_York' };
const HOUR = 3_600_000;
const at = ( iso: string ) => Date.parse( iso );

/** The viewer's clock runs one hour behind the server's. */
const SKEW = HOUR;
const ready = ( extra: Partial< JoinUiState > = {} ): JoinUiState => ( {
	phase: 'ready',
	consultation,
	skewMs: SKEW,
	joining: false,
	...extra,
} );
/**
 * Viewer-clock instant at which the server clock reads `iso`.
 * @param iso
 */
const viewerAt = ( iso: string ) => at( iso ) - SKEW;

describe( 'formatCountdown', () => {
	it.each( [
		[ 0, '00:00' ],
		[ -5000, '00:00' ],
		[ 1, '00:01' ],
		[ 59_001, '01:00' ],
		[ 299_000, '04:59' ],
		[ HOUR - 1000, '59:59' ],
		[ HOUR, '01:00:00' ],
		[ 25 * HOUR + 61_000, '25:01:01' ],
	] )( 'formats %i ms as %s', ( ms, text ) => {
		expect( formatCountdown( ms ) ).toBe( text );
	} );
} );

describe( 'clockSkew', () => {
	it( 'is server time minus the viewer time at receipt, 0 for a bad date', () => {
		expect(
			clockSkew(
				'2030-01-01T09:45:00.000Z',
				at( '2030-01-01T08:45:00.000Z' )
			)
		).toBe( HOUR );
		expect( clockSkew( 'nope', 123 ) ).toBe( 0 );
	} );
} );

describe( 'formatDateTime', () => {
	it( 'formats in the given (viewer) time zone and names it', () => {
		expect( formatDateTime( '2030-01-01T10:00:00.000Z', format ) ).toMatch(
			/^Tuesday, January 1, 2030(,| at) 5:00\sAM EST$/u
		);
		expect(
			formatDateTime( '2030-01-01T10:00:00.000Z', {
				locale: 'en-US',
				timeZone: 'Asia/Tokyo',
			} )
		).toMatch( /7:00\sPM GMT\+9$/u );
	} );

	it( 'defaults to the runtime time zone and survives an invalid locale tag', () => {
		const tzName = new Intl.DateTimeFormat( undefined, {
			timeZoneName: 'short',
		} )
			.formatToParts( new Date( '2030-01-01T10:00:00.000Z' ) )
			.find( ( p ) => p.type === 'timeZoneName' )?.value;
		expect(
			formatDateTime( '2030-01-01T10:00:00.000Z', {
				locale: 'not a locale!',
			} )
		).toContain( tzName );
		expect( formatDateTime( 'garbage' ) ).toBe( 'garbage' );
	} );
} );

describe( 'buildModel', () => {
	it( 'shows the loading message while loading', () => {
		const model = buildModel(
			{ phase: 'loading', skewMs: 0, joining: false },
			0,
			options
		);
		expect( model ).toMatchObject( {
			kind: 'loading',
			message: 'Loading your consultation…',
			button: null,
			nextTickMs: null,
		} );
	} );

	it( 'too_early: details, opening time, countdown against the server clock, disabled button', () => {
		const model = buildModel(
			ready(),
			viewerAt( '2030-01-01T09:45:00.000Z' ),
			options,
			format
		);
		expect( model.kind ).toBe( 'too_early' );
		expect( model.message ).toMatch(
			/^Your consultation opens at Tuesday, January 1, 2030(,| at) 4:50\sAM EST$/u
		);
		expect( model.countdown ).toBe( 'Opens in 05:00' );
		expect( model.button ).toEqual( {
			label: 'Join consultation',
			disabled: true,
			busy: false,
		} );
		expect(
			model.details?.map( ( d ) => [
				d.term,
				d.description.replace( /\s/gu, ' ' ),
			] )
		).toEqual( [
			[ 'Provider', 'Dr. Ada Lovelace' ],
			[ 'Service', 'Follow-up' ],
			[ 'Platform', 'Jitsi Meet' ],
			[ 'Starts', 'Tuesday, January 1, 2030 at 5:00 AM EST' ],
			[ 'Ends', 'Tuesday, January 1, 2030 at 5:30 AM EST' ],
		] );
		expect( model.nextTickMs ).toBe( 1000 );
	} );

	it( 'ticks to the next whole second and switches to hh:mm:ss from an hour', () => {
		const model = buildModel(
			ready(),
			viewerAt( '2030-01-01T08:49:59.250Z' ),
			options,
			format
		);
		expect( model.countdown ).toBe( 'Opens in 01:00:01' );
		expect( model.nextTickMs ).toBe( 750 );
	} );

	it( 'opens without reload when join_opens_at passes on the server clock', () => {
		const before = buildModel(
			ready(),
			viewerAt( '2030-01-01T09:49:59.001Z' ),
			options,
			format
		);
		expect( before ).toMatchObject( {
			kind: 'too_early',
			countdown: 'Opens in 00:01',
			nextTickMs: 999,
		} );
		const after = buildModel(
			ready(),
			viewerAt( '2030-01-01T09:50:00.000Z' ),
			{ ...options, buttonLabel: ' Start my visit ' },
			format
		);
		expect( after ).toMatchObject( {
			kind: 'open',
			message: 'You can join your consultation now.',
			countdown: null,
			button: { label: 'Start my visit', disabled: false, busy: false },
		} );
		expect( after.nextTickMs ).toBe( 30_000 );
	} );

	it( 'hides the countdown and details when the editor turned them off', () => {
		const model = buildModel(
			ready(),
			viewerAt( '2030-01-01T09:45:00.000Z' ),
			{ ...options, showCountdown: false, showDetails: false },
			format
		);
		expect( model ).toMatchObject( {
			kind: 'too_early',
			countdown: null,
			details: null,
		} );
		expect( model.message ).toMatch( /^Your consultation opens at / );
	} );

	it( 'is busy while joining and shows a join error by code with the button usable', () => {
		const c = { ...consultation, state: 'open' as const };
		const now = viewerAt( '2030-01-01T09:55:00.000Z' );
		expect(
			buildModel(
				ready( { consultation: c, joining: true } ),
				now,
				options
			)
		).toMatchObject( {
			kind: 'open',
			message: 'Opening your consultation…',
			button: { label: 'Joining…', disabled: false, busy: true },
		} );
		const failed = buildModel(
			ready( {
				consultation: c,
				joinError: {
					code: 'platform_unavailable',
					status: 503,
					message: 'x',
				},
			} ),
			now,
			options
		);
		expect( failed ).toMatchObject( {
			kind: 'open',
			errorCode: 'platform_unavailable',
			message:
				'Video platform is temporarily unavailable. Please try again.',
			button: {
				label: 'Join consultation',
				disabled: false,
				busy: false,
			},
		} );
	} );

	it( 'ends at join_closes_at, on the server state, and on a meeting_ended join error', () => {
		const ended = {
			kind: 'ended',
			message: 'This meeting has ended.',
			button: null,
			details: null,
			nextTickMs: null,
		};
		expect(
			buildModel(
				ready(),
				viewerAt( '2030-01-01T11:00:00.000Z' ),
				options
			)
		).toMatchObject( ended );
		expect(
			buildModel(
				ready( { consultation: { ...consultation, state: 'ended' } } ),
				0,
				options
			)
		).toMatchObject( ended );
		expect(
			buildModel(
				ready( {
					consultation: { ...consultation, state: 'open' },
					joinError: {
						code: 'meeting_ended',
						status: 410,
						message: '',
					},
				} ),
				viewerAt( '2030-01-01T10:00:00.000Z' ),
				options
			)
		).toMatchObject( ended );
	} );

	it( 'shows the cancelled message only', () => {
		expect(
			buildModel(
				ready( {
					consultation: { ...consultation, state: 'cancelled' },
				} ),
				0,
				options
			)
		).toMatchObject( {
			kind: 'cancelled',
			message: 'This consultation was cancelled.',
			button: null,
			details: null,
		} );
	} );

	it.each( [
		[
			'meeting_not_found',
			404,
			'meeting_not_found',
			'Meeting not found. Please contact support.',
			false,
		],
		[
			'forbidden',
			403,
			'forbidden',
			"You don't have access to this consultation.",
			false,
		],
		[
			'rest_forbidden',
			401,
			'unauthenticated',
			'Please log in to join this consultation.',
			true,
		],
		[
			'rest_no_route',
			404,
			'meeting_not_found',
			'Meeting not found. Please contact support.',
			false,
		],
		[
			'sidecar_unavailable',
			503,
			'sidecar_unavailable',
			'The video consultation service is not reachable right now. Please try again in a minute.',
			false,
		],
		[
			'fetch_error',
			0,
			'fetch_error',
			'Could not reach the site. Please check your connection and try again.',
			false,
		],
	] )(
		'load error %s (%i) → %s',
		( code, status, shown, message, showLogin ) => {
			const model = buildModel(
				{
					phase: 'error',
					skewMs: 0,
					joining: false,
					loadError: { code, status, message: 'server text' },
				},
				0,
				options
			);
			expect( model ).toMatchObject( {
				kind: 'error',
				errorCode: shown,
				message,
				showLogin,
				button: null,
			} );
		}
	);

	it( 'treats a 410 load error as ended and falls back to the server message for unknown codes', () => {
		expect(
			buildModel(
				{
					phase: 'error',
					skewMs: 0,
					joining: false,
					loadError: {
						code: 'meeting_ended',
						status: 410,
						message: '',
					},
				},
				0,
				options
			).kind
		).toBe( 'ended' );
		expect(
			errorMessage( {
				code: 'teapot',
				status: 418,
				message: 'I am a teapot.',
			} )
		).toBe( 'I am a teapot.' );
		expect(
			errorMessage( { code: 'teapot', status: 500, message: '' } )
		).toBe( 'Something went wrong on our side. Please try again.' );
	} );
} );

describe( 'buildModel: cancelled and generic codes', () => {
	it( 'maps meeting_cancelled (load or join) to the cancelled state and not_found to meeting_not_found', () => {
		const cancelled = {
			kind: 'cancelled',
			message: 'This consultation was cancelled.',
			button: null,
		};
		const loadError = ( code: string, status: number ) =>
			buildModel(
				{
					phase: 'error',
					skewMs: 0,
					joining: false,
					loadError: { code, status, message: '' },
				},
				0,
				options
			);
		expect( loadError( 'meeting_cancelled', 410 ) ).toMatchObject(
			cancelled
		);
		expect( loadError( 'not_found', 404 ) ).toMatchObject( {
			kind: 'error',
			errorCode: 'meeting_not_found',
			message: 'Meeting not found. Please contact support.',
		} );
		expect(
			buildModel(
				ready( {
					consultation: { ...consultation, state: 'open' },
					joinError: {
						code: 'meeting_cancelled',
						status: 410,
						message: '',
					},
				} ),
				viewerAt( '2030-01-01T10:00:00.000Z' ),
				options
			)
		).toMatchObject( cancelled );
	} );
} );

describe( 'strings stay in step with the contracts', () => {
	it.each( [
		'unauthenticated',
		'forbidden',
		'meeting_not_found',
		'meeting_not_open',
		'meeting_cancelled',
		'meeting_ended',
		'invalid_request',
		'conflict',
		'rate_limited',
		'platform_unavailable',
		'sidecar_unavailable',
		'internal_error',
	] satisfies ErrorCode[] )(
		'message for %s equals ERROR_MESSAGES',
		( code ) => {
			expect( errorMessage( { code, status: 0, message: '' } ) ).toBe(
				ERROR_MESSAGES[ code ]
			);
		}
	);

	it( 'platform labels equal PLATFORM_LABELS', () => {
		for ( const [ id, label ] of Object.entries( PLATFORM_LABELS ) ) {
			expect( platformLabel( id as PlatformId ) ).toBe( label );
		}
	} );
} );

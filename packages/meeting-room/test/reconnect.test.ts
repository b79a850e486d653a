import { describe, expect, it } from 'vitest';

import { ROOM_CLOSE } from '@bkx-video/contracts/room-constants';
import {
	RECONNECT,
	backoffDelay,
	backoffSchedule,
	closeAllowsReconnect,
	isFinalTicketError,
} from '../src/reconnect';

describe( 'backoff', () => {
	it( 'waits 0.5 s, 1 s, 2 s, 4 s, then 8 s per try, 15 tries in all', () => {
		expect( RECONNECT.maxAttempts ).toBe( 15 );
		expect( backoffSchedule() ).toEqual( [
			500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000, 8000, 8000,
			8000, 8000, 8000, 8000,
		] );
		expect( backoffSchedule().reduce( ( a, b ) => a + b, 0 ) ).toBe(
			95_500
		);
	} );

	it( 'never goes below the first delay or above the cap', () => {
		expect( backoffDelay( -3 ) ).toBe( 500 );
		expect( backoffDelay( 1000 ) ).toBe( 8000 );
	} );
} );

describe( 'closeAllowsReconnect', () => {
	it( 'does not reconnect after refused, ended or replaced', () => {
		expect( closeAllowsReconnect( ROOM_CLOSE.refused ) ).toBe( false );
		expect( closeAllowsReconnect( ROOM_CLOSE.ended ) ).toBe( false );
		expect( closeAllowsReconnect( ROOM_CLOSE.replaced ) ).toBe( false );
	} );

	it( 'reconnects after a network drop, a server restart or an abuse close', () => {
		for ( const code of [
			1000,
			1001,
			1006,
			1011,
			1012,
			ROOM_CLOSE.abuse,
		] ) {
			expect( closeAllowsReconnect( code ) ).toBe( true );
		}
	} );
} );

describe( 'isFinalTicketError', () => {
	it( 'stops on refusals that another ticket cannot fix', () => {
		expect( isFinalTicketError( 'meeting_ended' ) ).toBe( true );
		expect( isFinalTicketError( 'forbidden' ) ).toBe( true );
		expect( isFinalTicketError( 'rest_cookie_invalid_nonce', 403 ) ).toBe(
			true
		);
	} );

	it( 'keeps trying through network and service trouble', () => {
		expect( isFinalTicketError( 'fetch_error', 0 ) ).toBe( false );
		expect( isFinalTicketError( 'platform_unavailable', 503 ) ).toBe(
			false
		);
		expect( isFinalTicketError( 'rate_limited', 429 ) ).toBe( false );
	} );
} );

import { describe, expect, it } from 'vitest';

import { formatDuration, timerModel } from '../src/timer';

const START = '2030-01-01T10:00:00Z';
const END = '2030-01-01T10:30:00Z';
const t0 = Date.parse( '2030-01-01T10:02:00Z' );

describe( 'formatDuration', () => {
	it( 'shows mm:ss under an hour and h:mm:ss from an hour, never negative', () => {
		expect( formatDuration( 0 ) ).toBe( '00:00' );
		expect( formatDuration( 59_999 ) ).toBe( '00:59' );
		expect( formatDuration( 192_000 ) ).toBe( '03:12' );
		expect( formatDuration( 3_600_000 ) ).toBe( '1:00:00' );
		expect( formatDuration( 36_061_000 ) ).toBe( '10:01:01' );
		expect( formatDuration( -5_000 ) ).toBe( '00:00' );
	} );
} );

describe( 'timerModel', () => {
	it( 'counts from the first remote arrival against the booked length', () => {
		const m = timerModel( t0 + 754_000, t0, START, END );
		expect( m ).toMatchObject( {
			started: true,
			elapsed: '12:34',
			scheduled: '30:00',
			overtime: null,
			overtimeMs: 0,
		} );
	} );

	it( 'flags overtime as +mm:ss past the booked length', () => {
		const m = timerModel( t0 + 30 * 60_000 + 192_000, t0, START, END );
		expect( m.overtime ).toBe( '+03:12' );
		expect( m.overtimeMs ).toBe( 192_000 );
		// Exactly on time, and a fraction of a second after, is not overtime yet.
		expect(
			timerModel( t0 + 30 * 60_000 + 400, t0, START, END ).overtime
		).toBeNull();
	} );

	it( 'has not started until someone else joins', () => {
		expect( timerModel( t0, null, START, END ) ).toMatchObject( {
			started: false,
			elapsedMs: 0,
			scheduled: '30:00',
			overtime: null,
		} );
	} );

	it( 'survives a bad or inverted schedule', () => {
		expect( timerModel( t0 + 1000, t0, 'nope', END ) ).toMatchObject( {
			scheduledMs: 0,
			overtime: null,
		} );
		expect( timerModel( t0 + 1000, t0, END, START ).scheduledMs ).toBe( 0 );
	} );
} );

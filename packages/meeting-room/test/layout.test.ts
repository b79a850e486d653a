import { describe, expect, it } from 'vitest';

import { stageLayout } from '../src/layout';

const desktop = ( n: number ) => {
	const l = stageLayout( n, 1280, 720 );
	return `${ l.columns }x${ l.rows }`;
};

describe( 'stageLayout', () => {
	it( 'grows the grid with the participant count (self included)', () => {
		expect( [ 1, 2, 3, 4, 5, 6, 7, 8, 9 ].map( desktop ) ).toEqual( [
			'1x1',
			'2x1',
			'2x2',
			'2x2',
			'3x2',
			'3x2',
			'3x3',
			'3x3',
			'3x3',
		] );
		expect( desktop( 10 ) ).toBe( '4x3' );
		expect( desktop( 16 ) ).toBe( '4x4' );
	} );

	it( 'puts two people one above the other, and five or six in two columns, on a portrait stage', () => {
		expect( stageLayout( 2, 600, 900 ) ).toMatchObject( {
			columns: 1,
			rows: 2,
		} );
		expect( stageLayout( 6, 600, 900 ) ).toMatchObject( {
			columns: 2,
			rows: 3,
		} );
	} );

	it( 'stacks remote tiles and floats the self view at phone width (480 px or less)', () => {
		expect( stageLayout( 3, 480, 800 ) ).toEqual( {
			mode: 'stack',
			columns: 1,
			rows: 2,
			selfFloating: true,
		} );
		expect( stageLayout( 1, 375, 600 ) ).toEqual( {
			mode: 'stack',
			columns: 1,
			rows: 1,
			selfFloating: false,
		} );
		expect( stageLayout( 2, 481, 800 ).mode ).toBe( 'grid' );
	} );

	it( 'treats an unknown size (not laid out yet) as landscape', () => {
		expect( stageLayout( 2, 0, 0 ) ).toEqual( {
			mode: 'grid',
			columns: 2,
			rows: 1,
			selfFloating: false,
		} );
		expect( stageLayout( 0, 0, 0 ) ).toMatchObject( {
			columns: 1,
			rows: 1,
		} );
	} );
} );

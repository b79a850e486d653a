/**
 * recordings/mp4.ts against files ffmpeg writes: the moved `moov` (faststart) decodes to exactly the
 * same frames and samples as the original, a file already in faststart order is served as it is,
 * and what it does not understand (not MP4, fragmented MP4) is left to ffmpeg.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readMp4 } from '../src/recordings/mp4';

let dir: string;
const ffmpeg = ( ...args: string[] ) => execFileSync( 'ffmpeg', [ '-v', 'error', '-y', ...args ] );
/** MD5 of every decoded video frame and audio packet, in order. */
const frames = ( file: string ) =>
	execFileSync( 'ffmpeg', [ '-v', 'error', '-i', file, '-f', 'framemd5', '-' ] )
		.toString()
		.split( '\n' )
		.filter( ( l ) => l && ! l.startsWith( '#' ) );
const collect = async ( pieces: AsyncIterable< Buffer > ) => {
	const out: Buffer[] = [];
	for await ( const p of pieces ) {
		out.push( Buffer.from( p ) );
	}
	return Buffer.concat( out );
};
const SOURCE = [ '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest' ];

beforeAll( () => {
	dir = mkdtempSync( join( tmpdir(), 'bkx-mp4-' ) );
	ffmpeg( ...SOURCE, join( dir, 'end.mp4' ) );
	ffmpeg( ...SOURCE, '-movflags', '+faststart', join( dir, 'front.mp4' ) );
	ffmpeg( ...SOURCE, '-movflags', 'frag_keyframe+empty_moov', join( dir, 'frag.mp4' ) );
	ffmpeg( '-f', 'lavfi', '-i', 'sine', '-t', '2', '-c:a', 'aac', join( dir, 'audio.m4a' ) );
}, 60_000 );
afterAll( () => rmSync( dir, { recursive: true, force: true } ) );

describe( 'readMp4', () => {
	it( 'moves moov in front of mdat, fixing the chunk offsets, and the result decodes to the same frames', async () => {
		const source = join( dir, 'end.mp4' );
		const original = readFileSync( source );
		expect( original.indexOf( 'moov' ) ).toBeGreaterThan( original.indexOf( 'mdat' ) );
		const layout = await readMp4( source );
		expect( layout ).toMatchObject( { video: 'avc1', audio: 'mp4a', size: original.length } );
		expect( layout!.durationSeconds ).toBeCloseTo( 2, 1 );
		const moved = await collect( layout!.pieces() );
		expect( moved.length ).toBe( original.length );
		expect( moved.indexOf( 'moov' ) ).toBeLessThan( moved.indexOf( 'mdat' ) );
		const file = join( dir, 'moved.mp4' );
		writeFileSync( file, moved );
		expect( frames( file ) ).toEqual( frames( source ) );
		expect( frames( file ).length ).toBeGreaterThan( 50 );
		// ffmpeg reads it without a complaint.
		expect( execFileSync( 'ffmpeg', [ '-v', 'error', '-i', file, '-f', 'null', '-' ], { stdio: [ 'ignore', 'pipe', 'pipe' ] } ).toString() ).toBe( '' );
	} );

	it( 'serves a file already in faststart order byte for byte', async () => {
		const source = join( dir, 'front.mp4' );
		const layout = await readMp4( source );
		expect( layout ).toMatchObject( { video: 'avc1', audio: 'mp4a' } );
		expect( Buffer.compare( await collect( layout!.pieces() ), readFileSync( source ) ) ).toBe( 0 );
	} );

	it( 'knows an audio-only file', async () => {
		expect( await readMp4( join( dir, 'audio.m4a' ) ) ).toMatchObject( { video: null, audio: 'mp4a' } );
	} );

	it( 'leaves fragmented MP4 and files that are not MP4 to ffmpeg', async () => {
		expect( await readMp4( join( dir, 'frag.mp4' ) ) ).toBeNull();
		const junk = join( dir, 'junk.mp4' );
		writeFileSync( junk, Buffer.alloc( 5000, 7 ) );
		expect( await readMp4( junk ) ).toBeNull();
		const cut = join( dir, 'cut.mp4' );
		writeFileSync( cut, readFileSync( join( dir, 'end.mp4' ) ).subarray( 0, 3000 ) );
		expect( await readMp4( cut ) ).toBeNull();
	} );
} );

/**
 * Just enough ISO BMFF (MP4, ISO/IEC 14496-12) to serve a platform's MP4 as it is: which codecs
 * its tracks use, how long it is, and — when its `moov` box comes after the media data, as most
 * recorders write it — the same file with `moov` moved to the front ("faststart", what
 * `qt-faststart` and `ffmpeg -movflags +faststart` do): every chunk offset in `stco`/`co64` grows
 * by the size of the moved `moov`, nothing else changes.
 *
 * A Zoom recording (H.264/AAC MP4) then needs no ffmpeg run at all: the relocation happens in the
 * pass that encrypts the file. Anything this module does not fully understand (fragmented MP4,
 * offsets that would overflow 32 bits, other containers) returns null, and the pipeline uses
 * ffmpeg instead.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

interface Box {
	type: string;
	start: number;
	size: number;
	header: number;
}

export interface Mp4Layout {
	/** Seconds, from `mvhd`. */
	durationSeconds: number | null;
	/** Sample entry formats of the video and audio tracks, e.g. `avc1`, `mp4a`. */
	video: string | null;
	audio: string | null;
	/** The file's bytes in serving order (moov first), and their total (the file's size). */
	size: number;
	pieces: () => AsyncIterable< Buffer >;
}

const CONTAINERS = new Set( [ 'moov', 'trak', 'mdia', 'minf', 'stbl' ] );

/** Boxes of `buf` between `from` and `to`; null when they do not tile the range exactly. */
function boxesIn( buf: Buffer, from: number, to: number ): Box[] | null {
	const out: Box[] = [];
	let at = from;
	while ( at + 8 <= to ) {
		let size = buf.readUInt32BE( at );
		const type = buf.toString( 'latin1', at + 4, at + 8 );
		let header = 8;
		if ( size === 1 ) {
			if ( at + 16 > to ) {
				return null;
			}
			size = Number( buf.readBigUInt64BE( at + 8 ) );
			header = 16;
		} else if ( size === 0 ) {
			size = to - at;
		}
		if ( size < header || at + size > to ) {
			return null;
		}
		out.push( { type, start: at, size, header } );
		at += size;
	}
	return at === to ? out : null;
}

/** Visits every box under the containers we know, depth first. */
function walk( buf: Buffer, from: number, to: number, visit: ( box: Box, parents: string[] ) => void, parents: string[] = [] ): boolean {
	const boxes = boxesIn( buf, from, to );
	if ( ! boxes ) {
		return false;
	}
	for ( const box of boxes ) {
		visit( box, parents );
		if ( CONTAINERS.has( box.type ) && ! walk( buf, box.start + box.header, box.start + box.size, visit, [ ...parents, box.type ] ) ) {
			return false;
		}
	}
	return true;
}

/**
 * Reads the layout of an MP4 file.
 *
 * @returns null when it is not a plain (non-fragmented) MP4 with one `moov` and one `mdat`, or
 *   the relocation would need 64-bit offsets the file does not have.
 */
export async function readMp4( file: string ): Promise< Mp4Layout | null > {
	const handle = await open( file, 'r' );
	try {
		const { size } = await handle.stat();
		// Top-level boxes: read each header only.
		const top: Box[] = [];
		const head = Buffer.alloc( 16 );
		for ( let at = 0; at < size; ) {
			const { bytesRead } = await handle.read( head, 0, 16, at );
			if ( bytesRead < 8 ) {
				return null;
			}
			let boxSize = head.readUInt32BE( 0 );
			let header = 8;
			if ( boxSize === 1 ) {
				boxSize = Number( head.readBigUInt64BE( 8 ) );
				header = 16;
			} else if ( boxSize === 0 ) {
				boxSize = size - at;
			}
			if ( boxSize < header || at + boxSize > size ) {
				return null;
			}
			top.push( { type: head.toString( 'latin1', 4, 8 ), start: at, size: boxSize, header } );
			at += boxSize;
		}
		const moovs = top.filter( ( b ) => b.type === 'moov' );
		const mdats = top.filter( ( b ) => b.type === 'mdat' );
		if ( top[ 0 ]?.type !== 'ftyp' || moovs.length !== 1 || mdats.length !== 1 || top.some( ( b ) => b.type === 'moof' ) || moovs[ 0 ]!.size > 64 * 1024 * 1024 ) {
			return null;
		}
		const moovBox = moovs[ 0 ]!;
		const mdat = mdats[ 0 ]!;
		const moov = Buffer.alloc( moovBox.size );
		await handle.read( moov, 0, moovBox.size, moovBox.start );

		let durationSeconds: number | null = null;
		const tracks: Array< { handler: string | null; format: string | null } > = [];
		const offsets: Box[] = [];
		const ok = walk( moov, moovBox.header, moov.length, ( box, parents ) => {
			const body = box.start + box.header;
			if ( box.type === 'mvhd' ) {
				const version = moov[ body ];
				const timescale = moov.readUInt32BE( body + ( version === 1 ? 20 : 12 ) );
				const duration = version === 1 ? Number( moov.readBigUInt64BE( body + 24 ) ) : moov.readUInt32BE( body + 16 );
				durationSeconds = timescale ? duration / timescale : null;
			} else if ( box.type === 'trak' ) {
				tracks.push( { handler: null, format: null } );
			} else if ( box.type === 'hdlr' && parents.at( -1 ) === 'mdia' && tracks.length ) {
				tracks.at( -1 )!.handler = moov.toString( 'latin1', body + 8, body + 12 );
			} else if ( box.type === 'stsd' && tracks.length && moov.readUInt32BE( body + 4 ) > 0 ) {
				tracks.at( -1 )!.format = moov.toString( 'latin1', body + 12, body + 16 );
			} else if ( box.type === 'stco' || box.type === 'co64' ) {
				offsets.push( box );
			}
		} );
		if ( ! ok ) {
			return null;
		}
		const video = tracks.find( ( t ) => t.handler === 'vide' )?.format ?? null;
		const audio = tracks.find( ( t ) => t.handler === 'soun' )?.format ?? null;

		// Already faststart: serve the bytes as they are.
		if ( moovBox.start < mdat.start ) {
			return { durationSeconds, video, audio, size, pieces: () => createReadStream( file, { highWaterMark: 1024 * 1024 } ) };
		}
		// moov moves in front of mdat: every chunk offset (they all point into mdat) grows by its size.
		const delta = moovBox.size;
		for ( const box of offsets ) {
			const body = box.start + box.header;
			const count = moov.readUInt32BE( body + 4 );
			const wide = box.type === 'co64';
			if ( body + 8 + count * ( wide ? 8 : 4 ) > box.start + box.size ) {
				return null;
			}
			for ( let i = 0; i < count; i++ ) {
				const at = body + 8 + i * ( wide ? 8 : 4 );
				if ( wide ) {
					moov.writeBigUInt64BE( moov.readBigUInt64BE( at ) + BigInt( delta ), at );
				} else {
					const moved = moov.readUInt32BE( at ) + delta;
					if ( moved > 0xffffffff ) {
						return null;
					}
					moov.writeUInt32BE( moved, at );
				}
			}
		}
		const range = ( start: number, end: number ) => ( end > start ? createReadStream( file, { start, end: end - 1, highWaterMark: 1024 * 1024 } ) : [] );
		return {
			durationSeconds,
			video,
			audio,
			size,
			// Everything before mdat (ftyp…), the moved moov, mdat and whatever sat between it and
			// moov, then whatever followed moov.
			pieces: async function* () {
				yield* range( 0, mdat.start );
				yield moov;
				yield* range( mdat.start, moovBox.start );
				yield* range( moovBox.start + moovBox.size, size );
			},
		};
	} finally {
		await handle.close();
	}
}

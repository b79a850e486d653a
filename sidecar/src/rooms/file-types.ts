/**
 * What a file shared in the room really is, from its bytes: magic numbers for PDF and the images,
 * the ZIP's `[Content_Types].xml` for Word and Excel files, and "valid UTF-8 without control
 * characters" for plain text and CSV. The browser's declared type and the name's extension are not
 * trusted; anything else (an executable named `.png`, a macro-enabled `.docm`, an archive…) is
 * refused. The download name gets the detected type's extension when it has another one.
 */
import { inflateRawSync } from 'node:zlib';

import type { RoomFileMime } from '@bkx-video/contracts';

/** Extensions a download name may keep for each type (the first is added when it has none of them). */
export const EXTENSIONS: Record< RoomFileMime, readonly string[] > = {
	'application/pdf': [ 'pdf' ],
	'image/png': [ 'png' ],
	'image/jpeg': [ 'jpg', 'jpeg' ],
	'image/gif': [ 'gif' ],
	'image/webp': [ 'webp' ],
	'text/plain': [ 'txt', 'text', 'log', 'md' ],
	'text/csv': [ 'csv' ],
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document': [ 'docx' ],
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': [ 'xlsx' ],
};

const startsWith = ( bytes: Buffer, ...magic: number[] ) => bytes.length >= magic.length && magic.every( ( b, i ) => bytes[ i ] === b );
const ascii = ( bytes: Buffer, at: number, text: string ) => bytes.subarray( at, at + text.length ).toString( 'latin1' ) === text;

/** `[Content_Types].xml` is small; anything that inflates past this is not an Office file of ours (or a zip bomb). */
const CONTENT_TYPES_MAX = 1024 * 1024;
const OFFICE_MAIN = {
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml':
		'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml':
		'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

/**
 * The contents of the ZIP entry `name`, or null when the ZIP has no such entry or cannot be read.
 * Reads the end-of-central-directory record, walks the central directory, then inflates the entry.
 */
export function zipEntry( zip: Buffer, name: string, maxBytes: number ): Buffer | null {
	// End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the very end.
	let eocd = -1;
	for ( let i = zip.length - 22; i >= Math.max( 0, zip.length - 22 - 0xffff ); i-- ) {
		if ( zip.readUInt32LE( i ) === 0x06054b50 ) {
			eocd = i;
			break;
		}
	}
	if ( eocd < 0 ) {
		return null;
	}
	const entries = zip.readUInt16LE( eocd + 10 );
	let at = zip.readUInt32LE( eocd + 16 );
	for ( let n = 0; n < entries; n++ ) {
		if ( at + 46 > zip.length || zip.readUInt32LE( at ) !== 0x02014b50 ) {
			return null;
		}
		const method = zip.readUInt16LE( at + 10 );
		const compressed = zip.readUInt32LE( at + 20 );
		const nameLength = zip.readUInt16LE( at + 28 );
		const extraLength = zip.readUInt16LE( at + 30 );
		const commentLength = zip.readUInt16LE( at + 32 );
		const local = zip.readUInt32LE( at + 42 );
		const entryName = zip.subarray( at + 46, at + 46 + nameLength ).toString( 'utf8' );
		at += 46 + nameLength + extraLength + commentLength;
		if ( entryName !== name ) {
			continue;
		}
		if ( local + 30 > zip.length || zip.readUInt32LE( local ) !== 0x04034b50 ) {
			return null;
		}
		const start = local + 30 + zip.readUInt16LE( local + 26 ) + zip.readUInt16LE( local + 28 );
		const data = zip.subarray( start, start + compressed );
		if ( data.length !== compressed ) {
			return null;
		}
		try {
			if ( method === 0 ) {
				return data.length <= maxBytes ? data : null;
			}
			return method === 8 ? inflateRawSync( data, { maxOutputLength: maxBytes } ) : null;
		} catch {
			return null;
		}
	}
	return null;
}

function officeType( bytes: Buffer ): RoomFileMime | null {
	const types = zipEntry( bytes, '[Content_Types].xml', CONTENT_TYPES_MAX )?.toString( 'utf8' );
	if ( ! types ) {
		return null;
	}
	for ( const [ main, mime ] of Object.entries( OFFICE_MAIN ) ) {
		// The main part's Override, exactly: a macro-enabled file declares another type and is refused.
		if ( new RegExp( `ContentType\\s*=\\s*["']${ main.replace( /[.+]/g, '\\$&' ) }["']` ).test( types ) ) {
			return mime as RoomFileMime;
		}
	}
	return null;
}

/** UTF-8 (an optional BOM) with no control characters besides tab, line breaks and form feed. */
function isText( bytes: Buffer ): boolean {
	let text: string;
	try {
		text = new TextDecoder( 'utf-8', { fatal: true } ).decode( bytes );
	} catch {
		return false;
	}
	// eslint-disable-next-line no-control-regex
	return ! /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test( text );
}

/** Comma- or semicolon-separated: the first lines (two at least) have the same number of separators, one at least. */
function looksLikeCsv( bytes: Buffer ): boolean {
	const lines = bytes.subarray( 0, 64 * 1024 ).toString( 'utf8' ).split( /\r?\n/ ).filter( ( l ) => l.trim() !== '' ).slice( 0, 20 );
	if ( lines.length < 2 ) {
		return false;
	}
	return [ ',', ';', '\t' ].some( ( sep ) => {
		const counts = lines.map( ( l ) => l.split( sep ).length - 1 );
		return counts[ 0 ]! > 0 && counts.every( ( c ) => c === counts[ 0 ] );
	} );
}

/**
 * The type of `bytes` if it is one the room accepts, else null.
 *
 * @param name The uploaded name: only tells CSV from plain text when the content is text (both are allowed).
 */
export function sniffFileType( bytes: Buffer, name = '' ): RoomFileMime | null {
	if ( bytes.length === 0 ) {
		return null;
	}
	if ( ascii( bytes, 0, '%PDF-' ) ) {
		return 'application/pdf';
	}
	if ( startsWith( bytes, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a ) ) {
		return 'image/png';
	}
	if ( startsWith( bytes, 0xff, 0xd8, 0xff ) ) {
		return 'image/jpeg';
	}
	if ( ascii( bytes, 0, 'GIF87a' ) || ascii( bytes, 0, 'GIF89a' ) ) {
		return 'image/gif';
	}
	if ( ascii( bytes, 0, 'RIFF' ) && ascii( bytes, 8, 'WEBP' ) ) {
		return 'image/webp';
	}
	if ( startsWith( bytes, 0x50, 0x4b, 0x03, 0x04 ) ) {
		return officeType( bytes );
	}
	if ( isText( bytes ) ) {
		return /\.csv$/i.test( name ) || looksLikeCsv( bytes ) ? 'text/csv' : 'text/plain';
	}
	return null;
}

/**
 * A safe display and download name: no folders, no control or bidi-override characters, at most
 * 255 characters, ending in an extension of the detected type.
 */
export function safeFileName( given: string, mime: RoomFileMime ): string {
	const base = given.split( /[\\/]/ ).pop() ?? '';
	// eslint-disable-next-line no-control-regex
	let name = base.replace( /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069"]/g, '' ).trim().replace( /^\.+/, '' );
	if ( ! name ) {
		name = 'file';
	}
	const ext = /\.([A-Za-z0-9]+)$/.exec( name )?.[ 1 ]?.toLowerCase();
	const allowed = EXTENSIONS[ mime ];
	if ( ! ext || ! allowed.includes( ext ) ) {
		name = `${ name }.${ allowed[ 0 ] }`;
	}
	const chars = Array.from( name );
	if ( chars.length > 255 ) {
		const suffix = `.${ allowed[ 0 ] }`;
		name = chars.slice( 0, 255 - suffix.length ).join( '' ) + suffix;
	}
	return name;
}
